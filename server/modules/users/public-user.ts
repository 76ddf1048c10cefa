import { StringEnum } from '../../schemas';
import { Type, type Static } from 'typebox';
import { ranks, roles, type UserDoc } from './user.model';

export const PublicUser = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    displayName: Type.String(),
    role: StringEnum(roles),
    rank: Type.Optional(StringEnum(ranks)),
    orgUnitId: Type.Optional(Type.String()),
    orgUnitName: Type.Optional(Type.String()),
    disabled: Type.Optional(Type.Boolean()),
  },
  { $id: 'PublicUser' },
);
export type PublicUser = Static<typeof PublicUser>;

export function toPublicUser(u: UserDoc, orgUnitName?: string): PublicUser {
  return {
    id: String(u._id),
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    rank: u.rank ?? undefined,
    orgUnitId: u.orgUnitId ? String(u.orgUnitId) : undefined,
    orgUnitName,
    disabled: u.disabled ?? false,
  };
}
