"use client";

import { createContext, useCallback, useContext, useEffect, useState } from "react";

import { apiCall, ApiError, type Query } from "@/lib/api";

const ApiBase = createContext<string>("");

/** The API's address, read by the server at request time (AKLEAO_API_URL), not baked into the build. */
export function ApiProvider({ url, children }: { url: string; children: React.ReactNode }) {
  return <ApiBase.Provider value={url}>{children}</ApiBase.Provider>;
}

export function useApi() {
  const base = useContext(ApiBase);
  return useCallback(
    <T,>(method: string, path: string, body?: unknown, query?: Query) => apiCall<T>(base, method, path, body, query),
    [base],
  );
}

export type Loaded<T> =
  | { state: "loading" }
  | { state: "error"; error: ApiError }
  | { state: "ready"; data: T };

function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, "error", String(error));
}

/** GET ``path`` (again whenever it or ``query`` changes); the second value fetches it anew. */
export function useGet<T>(path: string | null, query?: Query): [Loaded<T>, () => void] {
  const api = useApi();
  const [round, setRound] = useState(0);
  const request = JSON.stringify([path, query ?? {}, round]);
  const [result, setResult] = useState<{ request: string; loaded: Loaded<T> } | null>(null);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    const [, q] = JSON.parse(request) as [string, Query];
    api<T>("GET", path, undefined, q).then(
      (data) => live && setResult({ request, loaded: { state: "ready", data } }),
      (error: unknown) => live && setResult({ request, loaded: { state: "error", error: asApiError(error) } }),
    );
    return () => {
      live = false;
    };
  }, [api, path, request]);
  // A result for an earlier request is not shown as this one's: until it answers, we are loading.
  const loaded: Loaded<T> = result && result.request === request ? result.loaded : { state: "loading" };
  return [loaded, () => setRound((n) => n + 1)];
}

export { asApiError };
