// The shell: sign-in gate, navigation (hash routes, so a reload keeps the page), live indicator.
import { useEffect, useState } from "preact/hooks";
import { getToken, onTokenChange, setToken } from "./api";
import { startLive, stopLive, useLive } from "./live";
import { CoveragePage } from "./pages/Coverage";
import { FindingsPage } from "./pages/Findings";
import { Login } from "./pages/Login";
import { Overview } from "./pages/Overview";
import { RolloutPage } from "./pages/Rollout";
import { Upstreams } from "./pages/Upstreams";
import { PAGES, parseHash } from "./nav";
import type { StreamState } from "./sse";

export function App() {
  const [token, setTok] = useState(getToken());
  const [route, setRoute] = useState(parseHash());
  useEffect(() => onTokenChange(() => setTok(getToken())), []);
  useEffect(() => {
    const on = (): void => setRoute(parseHash());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  useEffect(() => {
    if (token) startLive(token);
    return stopLive;
  }, [token]);
  useEffect(() => {
    const label = PAGES.find((p) => p.id === route.page)?.label ?? "";
    document.title = token ? `${label} · cutover` : "Sign in · cutover";
  }, [route.page, token]);

  if (!token) return <Login />;
  return (
    <div class="shell">
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          // The hash holds the page: move focus without touching it.
          e.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand" aria-label="cutover">
          <span class="brand-mark" aria-hidden="true" />
          cutover
        </span>
        <nav class="tabs" aria-label="Pages">
          {PAGES.map((p) => (
            <a
              key={p.id}
              href={`#/${p.id}`}
              class={`tab${route.page === p.id ? " tab-active" : ""}`}
              aria-current={route.page === p.id ? "page" : undefined}
            >
              {p.label}
            </a>
          ))}
        </nav>
        <div class="topbar-side">
          <LiveIndicator />
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => setToken(null)}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="main" tabIndex={-1}>
        {route.page === "overview" && <Overview />}
        {route.page === "findings" && <FindingsPage selected={route.arg} />}
        {route.page === "coverage" && <CoveragePage />}
        {route.page === "rollout" && <RolloutPage />}
        {route.page === "upstreams" && <Upstreams />}
      </main>
    </div>
  );
}

function describe(s: StreamState, now: number): { tone: string; text: string; title: string } {
  if (s.state === "open") return { tone: "ok", text: "Live", title: "Receiving one update per second" };
  if (s.state === "connecting") return { tone: "warn", text: "Connecting…", title: "Opening /api/events" };
  const secs = Math.max(0, Math.ceil((s.at - now) / 1000));
  return { tone: "bad", text: `Reconnecting in ${secs} s`, title: `Attempt ${s.attempt}: ${s.error}` };
}

function LiveIndicator() {
  const { stream } = useLive();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (stream.state !== "retrying") return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [stream.state]);
  const d = describe(stream, now);
  return (
    <span class={`live live-${d.tone}`} title={d.title} role="status">
      <span class="live-dot" aria-hidden="true" />
      <span class="live-text">{d.text}</span>
    </span>
  );
}
