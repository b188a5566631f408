import { Suspense } from "react";

import { ResetPasswordForm } from "@/components/password-reset";

export default function ResetPassword() {
  return (
    <Suspense>
      <ResetPasswordForm />
    </Suspense>
  );
}
