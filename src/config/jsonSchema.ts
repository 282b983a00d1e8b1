import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of the config file (input side: what a user writes), for editor completion. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://github.com/podglow/podglow/config/podglow.schema.json',
    title: 'podglow configuration',
  };
}
