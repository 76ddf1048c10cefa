/** /api/org: the organisation tree and partner institutions. Reading needs a login; writing is for the organisation department. */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StringEnum, errorResponses } from '../../schemas';
import { orgKinds } from './org-tree';
import { OrgService } from './org.service';

const Kind = StringEnum(orgKinds);
const Unit = Type.Object({ id: Type.String(), name: Type.String(), kind: Kind, parentId: Type.Union([Type.String(), Type.Null()]) });
const TreeNode = Type.Cyclic(
  { OrgNode: Type.Object({ id: Type.String(), name: Type.String(), kind: Kind, parentId: Type.Union([Type.String(), Type.Null()]), children: Type.Array(Type.Ref('OrgNode')) }) },
  'OrgNode',
);
const Institution = Type.Object({ id: Type.String(), name: Type.String(), shortName: Type.Optional(Type.String()) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const org = new OrgService(app.store.models);

  app.get('/tree', { config: { access: ['any-user'] }, schema: { tags: ['org'], summary: '组织树 / organisation tree', response: { 200: Type.Object({ roots: Type.Array(TreeNode) }), ...errorResponses } } }, async () => ({
    roots: await org.tree(),
  }));

  app.post(
    '/units',
    {
      config: { access: ['orgAdmin'] },
      schema: {
        tags: ['org'],
        summary: '新建组织 / create a unit',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 80 }), kind: Kind, parentId: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9a-fA-F]{24}$' }), Type.Null()])) }),
        response: { 201: Unit, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await org.createUnit(req.body)),
  );

  app.get('/institutions', { config: { access: ['any-user'] }, schema: { tags: ['org'], summary: '合作院校 / partner institutions', response: { 200: Type.Object({ items: Type.Array(Institution) }), ...errorResponses } } }, async () => ({
    items: await org.listInstitutions(),
  }));

  app.post(
    '/institutions',
    {
      config: { access: ['orgAdmin'] },
      schema: {
        tags: ['org'],
        summary: '新增合作院校 / add a partner institution',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 80 }), shortName: Type.Optional(Type.String({ maxLength: 40 })) }),
        response: { 201: Institution, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await org.createInstitution(req.body)),
  );
};
export default routes;
