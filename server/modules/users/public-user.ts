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
    /** The password was handed out by an administrator: change it before anything else. */
    mustChangePassword: Type.Optional(Type.Boolean()),
    phone: Type.Optional(Type.String()),
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
    mustChangePassword: u.mustChangePassword ?? false,
    phone: u.phone ?? undefined,
  };
}
