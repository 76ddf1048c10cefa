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
          orgUnitId: Type.Optional(Id),
          search: Type.Optional(Type.String({ maxLength: 64 })),
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
          password: Type.String({ minLength: 8, maxLength: 256 }),
          role: Role,
          rank: Type.Optional(Rank),
          orgUnitId: Type.Optional(Id),
          institutionId: Type.Optional(Id),
        }),
        response: { 201: PublicUser, ...errorResponses },
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
        summary: '修改用户 / update a user (name, unit, rank, disable, reset password)',
        params: ObjectIdParam,
        body: Type.Object(
          {
            displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            disabled: Type.Optional(Type.Boolean()),
            rank: Type.Optional(Rank),
            orgUnitId: Type.Optional(Id),
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
};
export default routes;
