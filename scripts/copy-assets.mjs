// Copies non-TypeScript assets (the preview page) next to the compiled JavaScript.
import { cpSync, existsSync } from 'node:fs';

for (const dir of ['src/server/public']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
