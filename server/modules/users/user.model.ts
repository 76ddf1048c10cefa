/**
 * Accounts. Roles: cadre (干部), lecturer (授课教师), unitAdmin (单位管理员), orgAdmin
 * (组织部管理员) and station (终端站点). A password is stored only as a scrypt hash. Failed
 * logins are counted per account and source in memory (auth/login-throttle.ts), not here:
 * `failedLogins` and `lockedUntil` are no longer written or read at login.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

export const roles = ['cadre', 'lecturer', 'unitAdmin', 'orgAdmin', 'station'] as const;
export type Role = (typeof roles)[number];

/** Cadre rank, which decides the yearly study-hour requirement (学时要求). */
export const ranks = ['township', 'county'] as const;
export type Rank = (typeof ranks)[number];

const userSchema = new Schema(
  {
    username: { type: String, required: true, unique: true, lowercase: true, trim: true },
    displayName: { type: String, required: true, trim: true },
    passwordHash: { type: String, required: true },
    role: { type: String, enum: roles, required: true },
    rank: { type: String, enum: ranks },
    orgUnitId: { type: Schema.Types.ObjectId, ref: 'OrgUnit', index: true },
    institutionId: { type: Schema.Types.ObjectId, ref: 'Institution' },
    disabled: { type: Boolean, default: false },
    failedLogins: { type: Number, default: 0 },
    lockedUntil: { type: Date },
    passwordChangedAt: { type: Date },
  },
  { timestamps: true },
);

export type UserDoc = InferSchemaType<typeof userSchema> & { _id: import('mongoose').Types.ObjectId };
export type UserModel = Model<InferSchemaType<typeof userSchema>>;

export const defineUserModel = (conn: Connection): UserModel => conn.model('User', userSchema);
