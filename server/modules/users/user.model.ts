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
    /**
     * Set when the password is one an administrator handed out (a reset, a roster import): after
     * logging in with it the user may only change it (auth/password-gate.ts).
     */
    mustChangePassword: { type: Boolean, default: false },
    /** When a handed-out one-time password stops working if still unchanged. */
    passwordExpiresAt: { type: Date },
    /** 手机: optional, from the roster. */
    phone: { type: String, trim: true },
    /** The roster import (roster-import/) that created the account, if any. */
    importId: { type: Schema.Types.ObjectId },
  },
  { timestamps: true },
);

export type UserDoc = InferSchemaType<typeof userSchema> & { _id: import('mongoose').Types.ObjectId };
export type UserModel = Model<InferSchemaType<typeof userSchema>>;

export const defineUserModel = (conn: Connection): UserModel => conn.model('User', userSchema);
