// Hash routes (#/findings/<id>), so a reload or a shared link keeps the page.
export const PAGES = [
  { id: "overview", label: "Overview" },
  { id: "findings", label: "Findings" },
  { id: "coverage", label: "Coverage" },
  { id: "rollout", label: "Rollout" },
  { id: "upstreams", label: "Upstreams" },
] as const;
export type PageId = (typeof PAGES)[number]["id"];

export function parseHash(): { page: PageId; arg: string | null } {
  const [, page = "", arg = null] = location.hash.split("/");
  const found = PAGES.find((p) => p.id === page);
  return { page: found ? found.id : "overview", arg: arg ? decodeURIComponent(arg) : null };
}

export function hrefOf(page: PageId, arg?: string | null): string {
  return `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ""}`;
}

export function navigate(page: PageId, arg?: string | null): void {
  location.hash = hrefOf(page, arg);
}
