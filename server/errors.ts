/**
 * Domain errors: a status, a stable code, and the message in Chinese (default) and English.
 * The error handler in app.ts turns them into `{ error: { code, message, messageEn } }`;
 * anything else becomes a 500 whose details stay in the log.
 */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly messageEn: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const errors = {
  validation: (detail: string) => new AppError(400, 'VALIDATION_ERROR', `请求数据不正确:${detail}`, `Invalid request: ${detail}`),
  unauthenticated: () => new AppError(401, 'UNAUTHENTICATED', '请先登录', 'Please log in first'),
  invalidCredentials: () => new AppError(401, 'INVALID_CREDENTIALS', '用户名或密码错误', 'Wrong username or password'),
  accountLocked: (until: Date) =>
    new AppError(423, 'ACCOUNT_LOCKED', `登录失败次数过多,账号已锁定至 ${until.toISOString()}`, `Too many failed logins: the account is locked until ${until.toISOString()}`, { lockedUntil: until.toISOString() }),
  accountDisabled: () => new AppError(403, 'ACCOUNT_DISABLED', '账号已停用,请联系管理员', 'This account is disabled; contact an administrator'),
  forbidden: () => new AppError(403, 'FORBIDDEN', '没有权限执行此操作', 'You are not allowed to do this'),
  notFound: (what: string, whatEn: string) => new AppError(404, 'NOT_FOUND', `${what}不存在`, `${whatEn} not found`),
  conflict: (code: string, message: string, messageEn: string) => new AppError(409, code, message, messageEn),
  weakPassword: () => new AppError(400, 'WEAK_PASSWORD', '密码至少 8 位,且需同时包含字母和数字', 'The password needs at least 8 characters with letters and digits'),
  rateLimited: (seconds: number) => new AppError(429, 'RATE_LIMITED', `请求过于频繁,请 ${seconds} 秒后再试`, `Too many requests; try again in ${seconds} s`),
};
