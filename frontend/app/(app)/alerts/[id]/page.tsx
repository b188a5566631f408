"use client";

import Link from "next/link";
import { useParams } from "next/navigation";

import { AlertCard } from "@/components/alert-card";
import { useGet } from "@/components/api-context";
import { Empty, ErrorBox, Loading } from "@/components/states";
import { VerdictForm } from "@/components/verdict";
import type { Alert } from "@/lib/api";

/** One alert on a page of its own: where the "Open" link of an alert email or webhook leads. */
export default function AlertPage() {
  const id = String(useParams<{ id: string }>().id);
  const [alert, reload] = useGet<Alert>(`/v1/alerts/${encodeURIComponent(id)}`);

  if (alert.state === "loading") return <Loading what="the alert" />;
  if (alert.state === "error") {
    return (
      <>
        <h1>Alert</h1>
        {alert.error.code === "not_found" || alert.error.status === 422 ? (
          <Empty>
            No alert {id} is stored here: the link may be mistyped or from another deployment. <Link href="/alerts">All alerts</Link>
          </Empty>
        ) : (
          <ErrorBox error={alert.error} retry={reload} />
        )}
      </>
    );
  }
  return (
    <>
      <h1 id="alert-symbol">{alert.data.symbol}</h1>
      <div id="alert" data-alert-id={alert.data.alert_id}>
        <AlertCard alert={alert.data} shown={alert.data} />
      </div>
      <VerdictForm key={alert.data.alert_id} alertId={alert.data.alert_id} stored={alert.data.your_verdict ?? null} />
      <p>
        <Link href="/alerts">All alerts</Link>
      </p>
    </>
  );
}
