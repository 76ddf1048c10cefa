/**
 * English dictionary. Keeps the county's Chinese terms recognisable in parentheses where an
 * English word alone would lose them (学时 → study hours).
 */
import type { Messages } from './zh-CN.ts';

export const en: Messages = {
  'app.name': 'Tongyu County Cadre Training · Distance Learning Portal',
  'app.shortName': 'Tongyu Cadre Learning',
  'app.county': 'Organisation Department, Tongyu County Committee',
  'app.tagline': '“Buffet-style” self-selected study · Air classroom · Study-hour credits',

  'lang.switch': '中文',
  'lang.switchLabel': 'Switch to Chinese',

  'role.cadre': 'Cadre',
  'role.lecturer': 'Lecturer',
  'role.unitAdmin': 'Unit admin',
  'role.orgAdmin': 'Organisation dept. admin',
  'role.station': 'Terminal station',

  'login.title': 'Log in',
  'login.heading': 'Welcome',
  'login.subheading': 'Log in with the account issued by the organisation department',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.submitting': 'Logging in…',
  'login.missingFields': 'Enter your username and password',
  'login.help': 'Forgot your password? Ask your unit admin or the county organisation department to reset it.',
  'login.introTitle': 'Distance education and self-selected study for cadres',
  'login.introBody':
    'Lectures from the Tsinghua University distance-teaching station, the Jilin University scholars’ forum and the distinguished-speakers series reach offices, townships, communities and villages; cadres choose what they need and earn study hours.',
  'login.factCommittees': 'grassroots party committees',
  'login.factStations': 'remote-education terminal stations',
  'login.factCadres': 'cadres and professionals',

  'nav.home': 'Home',
  'header.changePassword': 'Change password',
  'header.logout': 'Log out',
  'header.userMenu': 'Signed in as',

  'home.title': 'Home',
  'home.greeting': 'Hello, {name}',
  'home.intro': 'Choose lectures from the topics below; completing a lecture earns its study hours.',

  'catalog.title': 'Course catalog',
  'catalog.subtitle': 'Self-selected study',
  'catalog.count': '{total} lectures',
  'catalog.loading': 'Loading lectures…',
  'catalog.emptyTitle': 'No lectures yet',
  'catalog.emptyBody': 'Lectures will appear here once the organisation department publishes them; you can then choose what to study.',
  'catalog.loadError': 'The course catalog could not be loaded',
  'catalog.retry': 'Retry',
  'catalog.more': 'Load more',
  'catalog.loadingMore': 'Loading…',
  'catalog.required': 'Required',
  'catalog.elective': 'Elective',
  'catalog.recorded': 'Recorded',
  'catalog.live': 'Live',
  'catalog.creditHours': 'Study hours: {hours}',
  'catalog.duration': '{minutes} min',
  'catalog.topic': 'Topic: {topic}',
  'catalog.byline': '{lecturer} · {institution}',

  'category.service': 'Service capability',
  'category.implementation': 'Implementation capability',
  'category.development': 'Development capability',
  'category.party-history': 'Party history and spirit',

  'password.title': 'Change password',
  'password.current': 'Current password',
  'password.new': 'New password',
  'password.confirm': 'Confirm new password',
  'password.hint': 'At least 8 characters, with both letters and digits.',
  'password.submit': 'Change password',
  'password.submitting': 'Saving…',
  'password.cancel': 'Cancel',
  'password.mismatch': 'The two new passwords do not match',
  'password.sameAsCurrent': 'The new password must differ from the current one',
  'password.missingFields': 'Fill in all fields',
  'password.success': 'Password changed. Use the new password next time you log in.',

  'notFound.title': 'Page not found',
  'notFound.body': 'The page you asked for does not exist or has been removed.',
  'notFound.back': 'Back to home',

  'common.loading': 'Loading…',
  'common.close': 'Close',

  'error.INVALID_CREDENTIALS': 'Wrong username or password. Please try again.',
  'error.ACCOUNT_LOCKED': 'Too many failed logins: the account is temporarily locked. Try again later or contact an administrator.',
  'error.ACCOUNT_LOCKED_UNTIL': 'Too many failed logins: the account is locked until {time}. Try again then or contact an administrator.',
  'error.ACCOUNT_DISABLED': 'This account is disabled; contact an administrator.',
  'error.RATE_LIMITED': 'Too many requests. Please try again later.',
  'error.RATE_LIMITED_RETRY': 'Too many requests. Please try again in {seconds} s.',
  'error.UNAUTHENTICATED': 'Your session has ended. Please log in again.',
  'error.FORBIDDEN': 'You are not allowed to do this.',
  'error.NOT_FOUND': 'The requested item does not exist.',
  'error.WEAK_PASSWORD': 'The new password is too weak: use at least 8 characters with letters and digits.',
  'error.NETWORK_ERROR': 'Cannot reach the server. Check the network and try again.',
  'error.SERVER_ERROR': 'The server ran into a problem. Please try again later.',
  'error.UNKNOWN': 'Something went wrong. Please try again later.',
};
