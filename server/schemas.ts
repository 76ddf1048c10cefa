/** Schemas shared by every module: the error body and common params. */
import { Type } from 'typebox';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      messageEn: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorBody' },
);

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
} as const;

export const ObjectIdParam = Type.Object({
  id: Type.String({ pattern: '^[0-9a-fA-F]{24}$', description: 'object id' }),
});

/** A string enum as plain JSON Schema `enum`, typed as the union of its values (TypeBox's recommended form). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
