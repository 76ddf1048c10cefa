export { locale, t, Locale, LOCALE_STORAGE_KEY } from './locale.svelte.ts';
export { describeError, format, translate, dictionaries, isLang, isMessageKey, LANGS, DEFAULT_LANG } from './translate.ts';
export type { Lang, Params } from './translate.ts';
export type { MessageKey, Messages } from './zh-CN.ts';
