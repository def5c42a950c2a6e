// Client-only app: no server rendering, no prerendered pages (the static fallback serves every route).
export const ssr = false;
export const prerender = false;
