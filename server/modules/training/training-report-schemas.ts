/** The year report's response shape (import-routes.ts); the client imports the type. */
import { Type, type Static } from 'typebox';
import { StringEnum } from '../../schemas';
import { externalChannels } from './external-import-rows';
import { classChannels } from './training.model';

const Counts = { cohorts: Type.Integer(), enrolled: Type.Integer(), completed: Type.Integer(), hours: Type.Number() };
const ClassRow = Type.Object({ category: Type.String(), channel: StringEnum(classChannels), ...Counts });
const ExternalCounts = { personTimes: Type.Integer(), cadres: Type.Integer(), hours: Type.Number() };
export const Report = Type.Object({
  year: Type.Integer(),
  classes: Type.Object({ byCategory: Type.Array(ClassRow), byName: Type.Array(Type.Object({ name: Type.String(), ...ClassRow.properties })), totals: Type.Object(Counts) }),
  external: Type.Object({ byChannel: Type.Array(Type.Object({ channel: StringEnum(externalChannels), ...ExternalCounts })), totals: Type.Object(ExternalCounts) }),
  totals: Type.Object({ personTimes: Type.Integer(), hours: Type.Number() }),
  computedAt: Type.String({ format: 'date-time' }),
});
export type TrainingYearReportView = Static<typeof Report>;
