/** Request and response shapes of the external-training import (import-routes.ts); the client imports the types. */
import { Type, type Static } from 'typebox';
import { StringEnum } from '../../schemas';
import { externalChannels } from './external-import-rows';
import { externalImportStates } from './external-import.model';

export const RowError = Type.Object({ row: Type.Integer(), field: Type.String(), code: Type.String(), message: Type.String(), messageEn: Type.String() });
const PreviewRow = Type.Object({
  row: Type.Integer(),
  username: Type.String(),
  displayName: Type.String(),
  title: Type.String(),
  organiser: Type.String(),
  startDay: Type.String(),
  endDay: Type.String(),
  hours: Type.Number(),
  channel: StringEnum(externalChannels),
});
export const ImportView = Type.Object({
  id: Type.String(),
  fileName: Type.String(),
  state: StringEnum(externalImportStates),
  totalRows: Type.Integer(),
  okRows: Type.Integer({ description: 'rows that passed every check' }),
  errorCount: Type.Integer({ description: 'rows with at least one error' }),
  rowErrors: Type.Array(RowError),
  hours: Type.Number({ description: 'hours of the rows that passed' }),
  processedRows: Type.Integer(),
  imported: Type.Integer(),
  skipped: Type.Integer({ description: 'rows another import brought in first' }),
  preview: Type.Array(PreviewRow, { description: 'the first rows that passed (while checked)' }),
  failure: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});
export type ExternalImportView = Static<typeof ImportView>;
export type ImportRowError = Static<typeof RowError>;
