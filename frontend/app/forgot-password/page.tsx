import { ForgotPasswordForm } from "@/components/password-reset";

export default function ForgotPassword() {
  return <ForgotPasswordForm />;
}
