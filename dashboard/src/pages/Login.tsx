// Sign in with the admin token. The token is checked against GET /api/status before it is kept;
// a refused token shows the API's own error (CUTOVER_ERR_ADMIN_UNAUTHORIZED).
import { useState } from "preact/hooks";
import { api, setToken, type ApiError } from "../api";
import { ErrorBox } from "../components/ui";

export function Login() {
  const [value, setValue] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const t = value.trim();
    if (!t) return;
    setBusy(true);
    setError(null);
    try {
      await api("GET", "/api/status", undefined, { token: t, keepToken: true });
      setToken(t);
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="login-card card" onSubmit={(e) => void submit(e)} aria-describedby="login-help">
        <div class="brand brand-lg">
          <span class="brand-mark" aria-hidden="true" />
          cutover
        </div>
        <h1 class="login-title">Sign in to the admin dashboard</h1>
        <label class="field">
          <span class="field-label">Admin token</span>
          <input
            class="input"
            type="password"
            name="token"
            autoComplete="current-password"
            spellcheck={false}
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            required
            autoFocus
          />
        </label>
        <p id="login-help" class="hint">
          The value of <code>admin.token</code> in the gateway's config. It is kept for this browser tab only
          (sessionStorage) and sent as a bearer token to the admin API.
        </p>
        <ErrorBox error={error} />
        <button type="submit" class="btn btn-primary" disabled={busy || value.trim() === ""}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
