/**
 * Chinese (simplified) dictionary — the source of truth for message keys. Other languages must
 * provide every key (the `Messages` type enforces it). Placeholders look like `{name}`.
 * Terms follow the county's own usage: 自主选学, 学时, 专题, 空中课堂, 远程教育终端站点.
 */
export const zhCN = {
  'app.name': '通榆县干部教育培训 · 远程学习平台',
  'app.shortName': '通榆干部远程学习',
  'app.county': '通榆县委组织部',
  'app.tagline': '“自助餐”式自主选学 · 空中课堂 · 学时学分制管理',

  'lang.switch': 'English',
  'lang.switchLabel': '切换为英文界面',

  'role.cadre': '干部',
  'role.lecturer': '授课教师',
  'role.unitAdmin': '单位管理员',
  'role.orgAdmin': '组织部管理员',
  'role.station': '终端站点',

  'login.title': '登录',
  'login.heading': '欢迎登录',
  'login.subheading': '请使用组织部分配的账号登录',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.submitting': '正在登录…',
  'login.missingFields': '请输入用户名和密码',
  'login.help': '忘记密码请联系本单位管理员或县委组织部重置。',
  'login.introTitle': '干部远程教育与自主选学',
  'login.introBody': '依托清华大学远程教学站、吉林大学学者讲坛和名家大讲堂，把优质课程送到机关、乡镇、社区和村屯，干部按需选学、累计学时。',
  'login.factCommittees': '基层党委',
  'login.factStations': '远程教育终端站点',
  'login.factCadres': '干部人才',

  'nav.home': '首页',
  'header.changePassword': '修改密码',
  'header.logout': '退出登录',
  'header.userMenu': '当前用户',

  'home.title': '首页',
  'home.greeting': '{name}，您好',
  'home.intro': '从下列专题中自主选学，完成课程即可获得相应学时。',

  'catalog.title': '课程目录',
  'catalog.subtitle': '自主选学',
  'catalog.count': '共 {total} 门课程',
  'catalog.loading': '正在加载课程…',
  'catalog.emptyTitle': '暂无课程',
  'catalog.emptyBody': '县委组织部发布课程后，课程将显示在这里，届时即可自主选学。',
  'catalog.loadError': '课程目录加载失败',
  'catalog.retry': '重试',
  'catalog.more': '加载更多',
  'catalog.loadingMore': '正在加载…',
  'catalog.required': '必修',
  'catalog.elective': '选修',
  'catalog.recorded': '录播',
  'catalog.live': '直播',
  'catalog.creditHours': '{hours} 学时',
  'catalog.duration': '{minutes} 分钟',
  'catalog.topic': '专题：{topic}',
  'catalog.byline': '{lecturer} · {institution}',

  'category.service': '服务能力',
  'category.implementation': '落实能力',
  'category.development': '发展能力',
  'category.party-history': '党史党性',

  'password.title': '修改密码',
  'password.current': '当前密码',
  'password.new': '新密码',
  'password.confirm': '确认新密码',
  'password.hint': '至少 8 位，且需同时包含字母和数字。',
  'password.submit': '确认修改',
  'password.submitting': '正在保存…',
  'password.cancel': '取消',
  'password.mismatch': '两次输入的新密码不一致',
  'password.sameAsCurrent': '新密码不能与当前密码相同',
  'password.missingFields': '请填写全部字段',
  'password.success': '密码已修改，下次登录请使用新密码。',

  'notFound.title': '页面不存在',
  'notFound.body': '您访问的页面不存在或已被移除。',
  'notFound.back': '返回首页',

  'common.loading': '正在加载…',
  'common.close': '关闭',

  'error.INVALID_CREDENTIALS': '用户名或密码错误，请重新输入。',
  'error.ACCOUNT_LOCKED': '登录失败次数过多，账号已被临时锁定，请稍后再试或联系管理员。',
  'error.ACCOUNT_LOCKED_UNTIL': '登录失败次数过多，账号已锁定至 {time}，请届时再试或联系管理员。',
  'error.ACCOUNT_DISABLED': '账号已停用，请联系管理员。',
  'error.RATE_LIMITED': '请求过于频繁，请稍后再试。',
  'error.RATE_LIMITED_RETRY': '请求过于频繁，请 {seconds} 秒后再试。',
  'error.UNAUTHENTICATED': '登录已失效，请重新登录。',
  'error.FORBIDDEN': '没有权限执行此操作。',
  'error.NOT_FOUND': '请求的内容不存在。',
  'error.WEAK_PASSWORD': '新密码强度不够：至少 8 位，且需同时包含字母和数字。',
  'error.NETWORK_ERROR': '无法连接服务器，请检查网络后重试。',
  'error.SERVER_ERROR': '服务器暂时出现问题，请稍后再试。',
  'error.UNKNOWN': '操作失败，请稍后再试。',
} as const;

export type MessageKey = keyof typeof zhCN;
export type Messages = { readonly [K in MessageKey]: string };
