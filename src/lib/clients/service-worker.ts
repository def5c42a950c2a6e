// Page side of the service worker: registration, the one-time reload that makes a first visit
// cross-origin isolated, and update detection. Main thread only; no Svelte.
//
// Reload-loop guard: a non-isolated load navigates again to come under the service worker's
// isolation headers, at most twice in a row (sessionStorage counter, reset by an isolated load),
// so a browser that cannot be isolated ends in degraded mode instead of a loop.

export interface SwStatus {
  supported: boolean;
  controlled: boolean;
  isolated: boolean;
  /** A new version is installed and waiting for the user's consent to take over. */
  updateWaiting: boolean;
  error?: string;
}

const RELOAD_COUNT = 'neurotab.isolation-reloads';
const MAX_RELOADS = 2;

export function currentIsolation(): { sharedArrayBuffer: boolean; isolated: boolean; serviceWorker: boolean } {
  return {
    sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
    isolated: globalThis.crossOriginIsolated === true,
    serviceWorker: 'serviceWorker' in navigator,
  };
}

/**
 * Registers /service-worker.js and, when the page is not isolated yet, reloads once the worker
 * controls it. Calls `onChange` whenever the status changes (e.g. an update starts waiting).
 */
export async function setupServiceWorker(onChange: (s: SwStatus) => void): Promise<SwStatus> {
  const status: SwStatus = {
    supported: 'serviceWorker' in navigator,
    controlled: false,
    isolated: globalThis.crossOriginIsolated === true,
    updateWaiting: false,
  };
  if (!status.supported) return status;
  const sw = navigator.serviceWorker;
  status.controlled = !!sw.controller;
  if (status.isolated) sessionStorage.removeItem(RELOAD_COUNT);
  let reg: ServiceWorkerRegistration;
  try {
    reg = await sw.register('/service-worker.js', { type: 'module', scope: '/' });
  } catch (e) {
    status.error = `the service worker could not be registered: ${(e as Error).message}`;
    return status;
  }
  const emit = () => onChange({ ...status });

  const watchInstalling = (w: ServiceWorker | null) => {
    if (!w) return;
    w.addEventListener('statechange', () => {
      // An installed worker while another controls the page = an update waiting for consent.
      if (w.state === 'installed' && sw.controller) {
        status.updateWaiting = true;
        emit();
      }
    });
  };
  if (reg.waiting && sw.controller) status.updateWaiting = true;
  watchInstalling(reg.installing);
  reg.addEventListener('updatefound', () => watchInstalling(reg.installing));

  let reloading = false;
  sw.addEventListener('controllerchange', () => {
    status.controlled = true;
    // After the user accepted an update, or once the first worker claims an unisolated page: reload.
    if (!reloading && status.updateWaiting) {
      reloading = true;
      location.reload();
    }
    emit();
  });

  if (!status.isolated) {
    // Not isolated although a worker is active: the first load (before the worker existed), or a
    // hard reload that bypassed it. A normal reload comes back through the worker's headers.
    // A fresh navigation, not location.reload(): Chromium repeats a hard reload's "bypass the
    // service worker" on reload(). Wait for the load event so this page finished starting.
    const loaded = document.readyState === 'complete' ? Promise.resolve() : new Promise((r) => addEventListener('load', r, { once: true }));
    void Promise.all([sw.ready, loaded]).then(() => {
      const tries = Number(sessionStorage.getItem(RELOAD_COUNT) ?? 0);
      if (reloading || tries >= MAX_RELOADS) return;
      sessionStorage.setItem(RELOAD_COUNT, String(tries + 1));
      reloading = true;
      location.replace(location.href);
    });
  }
  // Look for updates when the tab comes back into view.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') reg.update().catch(() => {});
  });
  return status;
}

/** Lets the waiting version take over; the page reloads on controllerchange. */
export async function applyUpdate(): Promise<void> {
  const reg = await navigator.serviceWorker.getRegistration();
  reg?.waiting?.postMessage({ type: 'SKIP_WAITING' });
}
