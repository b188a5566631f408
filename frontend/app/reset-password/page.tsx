import type { Metadata } from "next";
import { Suspense } from "react";

import { ResetPasswordForm } from "@/components/password-reset";

export const metadata: Metadata = { title: "Choose a new password" };

export default function ResetPassword() {
  return (
    <Suspense>
      <ResetPasswordForm />
    </Suspense>
  );
}
