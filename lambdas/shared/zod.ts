/**
 * zod for the functions: zod/mini (functions, not methods, so esbuild keeps only what is used) with
 * its English messages only. `import { z } from 'zod'` (and the Powertools parser's schemas, which
 * import it so) brought every zod locale into Prepare's bundle; this keeps it ≤ 350 KiB.
 * Import as `import * as z from '../shared/zod'`.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
