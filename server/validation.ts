/**
 * Request validation: Fastify's own Ajv setup (ajv-formats, the `ajv` server options), built
 * twice. JSON bodies are typed already, so they are checked as sent: no coercion, or the string
 * "Infinity" (or "1e999") would become a non-finite number behind a `Type.Number()`. The query
 * string, params and headers are text, so they keep coercion (`?page=2` is the integer 2).
 * Ajv's coercion turns "Infinity" or "1e999" into Infinity without checking the type again, and
 * its minimum/maximum skip non-finite numbers; so a text part that passes is also walked once
 * for non-finite numbers. Every numeric request field carries finite bounds as well (checked by
 * test/integration/finite-input.test.ts).
 */
import AjvCompiler, { type ValidatorFactory } from '@fastify/ajv-compiler';
import type { FastifyError } from 'fastify';

/** A `schemaController.compilersFactory.buildValidator` that picks the Ajv by the part of the request. */
export function partAwareValidator(): ValidatorFactory {
  const pool = AjvCompiler();
  return (externalSchemas, options = {}) => {
    const text = pool(externalSchemas, options);
    const json = pool(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } } as typeof options);
    return (route) => (route.httpPart === 'body' ? json(route) : finiteAfterCoercion(text(route)));
  };
}

type Validate = ReturnType<ReturnType<ValidatorFactory>>;
type Context = { parentData?: Record<string, unknown>; parentDataProperty?: string } | undefined;

/** The validator, refusing what its coercion made non-finite (query, params and headers are small). */
function finiteAfterCoercion(validate: Validate): Validate {
  const checked = function (this: unknown, data: unknown, ctx?: Context) {
    if (!validate.call(this, data, ctx as never)) {
      checked.errors = validate.errors;
      return false;
    }
    // Ajv may replace a coerced root value in its parent.
    const value = ctx?.parentData && ctx.parentDataProperty !== undefined ? ctx.parentData[ctx.parentDataProperty] : data;
    const at = nonFinite(value, '');
    checked.errors = at === undefined ? null : [{ instancePath: at, schemaPath: '#/type', keyword: 'type', params: {}, message: 'must be a finite number' }];
    return at === undefined;
  } as unknown as Validate;
  // Fastify passes the parent (so Ajv can coerce a root value) only to validators with a schemaEnv.
  Object.assign(checked, { schemaEnv: validate.schemaEnv, schema: validate.schema });
  return checked;
}

/** The JSON pointer of the first non-finite number in `value`, if any. */
function nonFinite(value: unknown, at: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : at || '/';
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = nonFinite(v, `${at}/${k}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The field and a one-line reason for the error body, e.g. `body.creditHours must be <= 100` or
 * `body.beats.0 must have required property 'seq'`: the field is always named, so a form can
 * point at it and a log line says which input was refused.
 */
export function describeValidation(errs: NonNullable<FastifyError['validation']>, part: FastifyError['validationContext'] = 'body'): { field: string; detail: string } {
  const first = errs[0];
  const path = (first?.instancePath ?? '').replace(/\//g, '.');
  const params = (first?.params ?? {}) as { missingProperty?: unknown; additionalProperty?: unknown };
  const named = typeof params.missingProperty === 'string' ? params.missingProperty : typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined;
  const field = `${part}${path}${named ? `.${named}` : ''}`;
  return { field, detail: `${part}${path} ${first?.message ?? 'is invalid'}${named && first?.keyword === 'additionalProperties' ? `: ${named}` : ''}` };
}
