/**
 * Bearer tokens. A token is shown once, at creation; the store keeps its SHA-256 only (tokens are
 * 256 random bits, so a plain hash is enough: there is nothing to brute-force). Scopes are ordered:
 * read < write < admin. Each token belongs to a project, which sees only its own data.
 */
import { createHash, randomBytes } from 'crypto';
import { HttpError } from './http-error';
import { SCOPES, type Scope, type Store, type TokenRow } from './store';

/** The project of a token created without one. */
export const DEFAULT_PROJECT = 'default';

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function createToken(store: Store, o: { name: string; scope: Scope; project?: string }): { token: string; row: TokenRow } {
  if (!SCOPES.includes(o.scope)) throw new HttpError(400, 'bad_scope', `scope: expected read, write or admin, got '${o.scope}'`, 'scope');
  if (!o.name) throw new HttpError(400, 'bad_name', 'name: expected a non-empty token name', 'name');
  const token = `gm_${randomBytes(32).toString('base64url')}`;
  const row = store.insertToken({ id: randomBytes(6).toString('hex'), name: o.name, project: o.project || DEFAULT_PROJECT, scope: o.scope, hash: hashToken(token) });
  store.audit(row.id, 'token.create', row.id);
  return { token, row };
}

/** The token of an Authorization header, or 401. */
export function authenticate(store: Store, header: string | undefined): TokenRow {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) throw new HttpError(401, 'unauthorized', 'missing bearer token: send "Authorization: Bearer <token>" (genmetrics token create)', undefined, { 'WWW-Authenticate': 'Bearer' });
  const row = store.tokenByHash(hashToken(m[1]));
  if (!row) throw new HttpError(401, 'unauthorized', 'unknown token', undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  if (row.revoked) throw new HttpError(401, 'unauthorized', `token '${row.name}' was revoked`, undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  return row;
}

/** The request's token (set by the /v1 hook), once it has at least `scope`. */
export function tokenOf(req: { token?: TokenRow }, scope: Scope): TokenRow {
  const t = req.token!;
  requireScope(t, scope);
  return t;
}

export function requireScope(token: TokenRow, scope: Scope): void {
  if (SCOPES.indexOf(token.scope) < SCOPES.indexOf(scope)) {
    throw new HttpError(403, 'forbidden', `token '${token.name}' has scope '${token.scope}'; this needs '${scope}'`);
  }
}
