// Writes config/podglow.schema.json from the zod schema (run: npm run schema).
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/jsonSchema.js';

writeFileSync(new URL('../config/podglow.schema.json', import.meta.url), JSON.stringify(configJsonSchema(), null, 2) + '\n');
console.log('wrote config/podglow.schema.json');
