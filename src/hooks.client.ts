// Client hooks, run in the page before any route loads. The page runs under the origin's
// Content-Security-Policy (src/lib/core/csp.ts: no eval), so zod validates without compiling
// parsers: its probe for `Function` would otherwise be reported as a violation. Workers, which run
// without that policy, keep zod's compiled parsers.
import { z } from 'zod';

z.config({ jitless: true });
