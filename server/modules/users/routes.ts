/** /api/users: account administration for the organisation department and unit admins. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, ObjectIdParam, StringEnum, errorResponses } from '../../schemas';
import { OrgService } from '../org/org.service';
import { PublicUser } from './public-user';
import { ranks, roles } from './user.model';
import { UsersService } from './users.service';

const Role = StringEnum(roles);
const Rank = StringEnum(ranks);
const Id = Type.String({ pattern: '^[0-9a-fA-F]{24}$' });
/** 手机: a mainland mobile number. */
const Phone = Type.String({ pattern: '^1[3-9][0-9]{9}$', description: '11-digit mobile number' });
/** A created user; `oneTimePassword` only when none was given (shown this once). */
const CreatedUser = Type.Object({ ...PublicUser.properties, oneTimePassword: Type.Optional(Type.String()) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const users = new UsersService(app.store.models, new OrgService(app.store.models));

  app.get(
    '/',
    {
      config: { access: ['orgAdmin', 'unitAdmin:own-units'] },
      schema: {
        tags: ['users'],
        summary: '用户列表 / list users',
        querystring: Type.Object({
          page: Type.Integer({ minimum: 1, maximum: 10000, default: 1 }),
          pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          role: Type.Optional(Role),
          rank: Type.Optional(Rank),
          orgUnitId: Type.Optional(Id),
          disabled: Type.Optional(Type.Boolean({ description: 'true: only disabled accounts; false: only active ones' })),
          search: Type.Optional(Type.String({ maxLength: 64, description: 'part of the name, username or phone' })),
        }),
        response: { 200: Type.Object({ items: Type.Array(PublicUser), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() }), ...errorResponses },
      },
    },
    async (req) => users.list(req.user!, req.query),
  );

  app.post(
    '/',
    {
      config: { access: ['orgAdmin', 'unitAdmin:own-units'] },
      schema: {
        tags: ['users'],
        summary: '新建用户 / create a user',
        body: Type.Object({
          username: Type.String({ pattern: '^[A-Za-z0-9_.-]{3,32}$', description: '3-32 letters, digits, _ . -' }),
          displayName: Type.String({ minLength: 1, maxLength: 40 }),
          password: Type.Optional(Type.String({ minLength: 8, maxLength: 256, description: 'omit to generate a one-time password, returned once' })),
          role: Role,
          rank: Type.Optional(Rank),
          orgUnitId: Type.Optional(Id),
          institutionId: Type.Optional(Id),
          phone: Type.Optional(Phone),
        }),
        response: { 201: CreatedUser, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await users.create(req.user!, req.body)),
  );

  app.get(
    '/:id',
    { config: { access: ['orgAdmin', 'unitAdmin:own-units'] }, schema: { tags: ['users'], summary: '用户详情 / a user', params: ObjectIdParam, response: { 200: PublicUser, ...errorResponses } } },
    async (req) => users.get(req.user!, req.params.id),
  );

  app.patch(
    '/:id',
    {
      config: { access: ['orgAdmin', 'unitAdmin:own-units'] },
      schema: {
        tags: ['users'],
        summary: '修改用户 / update a user (name, unit, rank, role, phone, disable, set password)',
        params: ObjectIdParam,
        body: Type.Object(
          {
            displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            disabled: Type.Optional(Type.Boolean()),
            rank: Type.Optional(Rank),
            orgUnitId: Type.Optional(Id),
            role: Type.Optional(Role),
            phone: Type.Optional(Type.Union([Phone, Type.Literal('')])),
            password: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: PublicUser, ...errorResponses, 422: ErrorBody },
      },
    },
    async (req) => {
      const updated = await users.update(req.user!, req.params.id, req.body);
      app.auth.forgetUser(req.params.id);
      return updated;
    },
  );

  app.post(
    '/:id/reset-password',
    {
      config: { access: ['orgAdmin', 'unitAdmin:own-units'] },
      schema: {
        tags: ['users'],
        summary: '重置密码 / reset a password: a one-time password, shown once; sessions end; must be changed at next login',
        params: ObjectIdParam,
        response: { 200: Type.Object({ user: PublicUser, oneTimePassword: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }), ...errorResponses },
      },
    },
    async (req) => {
      const reset = await users.resetPassword(req.user!, req.params.id);
      app.auth.forgetUser(req.params.id);
      req.log.info({ userId: req.params.id, by: String(req.user!._id) }, 'users.resetPassword() | one-time password issued');
      return reset;
    },
  );
};
export default routes;
