import type { Metadata } from "next";
import { ForgotPasswordForm } from "@/components/password-reset";

export const metadata: Metadata = { title: "Forgot your password" };

export default function ForgotPassword() {
  return <ForgotPasswordForm />;
}
