// useApiGet: one GET on the admin API, loaded on mount and on demand (`load`), with its error.
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, type ApiError } from "./api";

export function useApiGet<T>(
  path: string,
  initial: T | null = null,
): {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  load: () => Promise<void>;
} {
  const [data, setData] = useState<T | null>(initial);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const load = useCallback(async () => {
    setLoading(true);
    try {
      setData(await api<T>("GET", path));
      setError(null);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setLoading(false);
    }
  }, [path]);
  useEffect(() => void load(), [load]);
  return { data, error, loading, load };
}
