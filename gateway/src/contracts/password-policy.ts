import { z } from 'zod';

/**
 * The password policy (NIST SP 800-63B §5.1.1.2): at least 10 characters, no upper bound below 128, no composition
 * rules, but never a password from the lists attackers try first. A small embedded list instead of a breach corpus:
 * the gateway runs offline in a guard room. The list holds what people here choose (numbers, keyboard walks, pinyin,
 * the compound's own words); the policy also refuses one character repeated and plain runs (1234567890, abcdefghij).
 * It lives in contracts/ so the admin pages check exactly what the gateway checks.
 */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

const COMMON = new Set([
  '1234567890', '12345678910', '0123456789', '0987654321', '9876543210', '1111111111', '1234512345', '1122334455',
  '1357924680', '1314520520', '5201314520', '5201314000', '1314521521', '12345678900', 'qwertyuiop', 'qwertyuiop123',
  '1qaz2wsx3edc', '1q2w3e4r5t', '1q2w3e4r5t6y', 'q1w2e3r4t5', 'zaq12wsxcde', 'qazwsxedcrfv', 'asdfghjkl;', 'asdfghjkl123',
  'zxcvbnm123', 'password123', 'password1234', 'passw0rd123', 'p@ssw0rd123', 'p@ssword123', 'iloveyou123', 'iloveyou1314',
  'woaini1314', 'woaini5201314', 'woaini123456', 'woaiwojia123', 'wodemima123', 'mima123456', 'admin12345', 'admin123456',
  'administrator', 'admin@12345', 'admin@123456', 'root123456', 'guest12345', 'abc1234567', 'abcd123456', 'abcd1234567',
  'a1234567890', 'aa123456789', 'a123456789', 'aaa1234567', 'qq123456789', 'qwe1234567', 'qwer123456', 'qwert12345',
  'asd1234567', 'asdf123456', 'zxc1234567', 'zxcv123456', 'welcome123', 'welcome1234', 'letmein123', 'changeme123',
  'sunshine123', 'princess123', 'football123', 'baseball123', 'dragon1234', 'monkey1234', 'shadow1234', 'master1234',
  'superman123', 'starwars123', 'computer123', 'internet123', 'whatever123', 'trustno1234', 'linli12345', 'linli123456',
  'linliadmin', 'linli@2026', 'linli2026!', 'wuye123456', 'wuye@12345', 'menwei123456', 'baoan123456', 'xiaoqu123456',
  'zhangwei123', 'wangwei123', 'liwei123456', 'huawei1234', 'huawei12345', 'xiaomi1234', 'china12345', 'china123456',
  'beijing123', 'shanghai123', 'zhongguo123', 'aini1314520', 'qazwsx123456', '147258369', '1472583690', '7894561230',
  '1596321478', '159357456852', '123123123123', '1231231234', '321321321', '123321123321', '123456654321', '1234554321',
  '6666666666', '8888888888', '1688888888', '5211314521', '0000000000', '9999999999', '1234qwer', '123456qwerty',
  '123456abcd', '123456789a', '12345678ab', '123456789abc', 'abc123456789', 'a1b2c3d4e5', 'a1b2c3d4e5f6',
]);

const isRepeat = (s: string) => /^(.)\1+$/u.test(s);
const isRun = (s: string) => {
  const codes = [...s].map((c) => c.codePointAt(0) ?? 0);
  const step = (codes[1] ?? 0) - (codes[0] ?? 0);
  return Math.abs(step) === 1 && codes.every((c, i) => i === 0 || c - (codes[i - 1] ?? 0) === step);
};

/** Why a password is refused, or null. `username` is refused as (part of) the password too. */
export function passwordProblem(password: string, username?: string): 'too_short' | 'too_long' | 'common' | 'contains_username' | null {
  if ([...password].length < PASSWORD_MIN_LENGTH) return 'too_short';
  if ([...password].length > PASSWORD_MAX_LENGTH) return 'too_long';
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || isRepeat(lower) || isRun(lower)) return 'common';
  if (username !== undefined && username.length >= 3 && lower.includes(username.toLowerCase())) return 'contains_username';
  return null;
}

const MESSAGES = {
  too_short: `at least ${PASSWORD_MIN_LENGTH} characters`,
  too_long: `at most ${PASSWORD_MAX_LENGTH} characters`,
  common: 'a commonly used password (on the list attackers try first); choose another',
  contains_username: 'must not contain the user name',
} as const;

/** A new password as the policy accepts it (the user-name check is done where the name is known). */
export const NewPassword = z.string().superRefine((v, ctx) => {
  const p = passwordProblem(v);
  if (p !== null) ctx.addIssue({ code: 'custom', message: `password: ${MESSAGES[p]}`, params: { reason: p } });
});

export const passwordMessage = (p: NonNullable<ReturnType<typeof passwordProblem>>) => `password: ${MESSAGES[p]}`;
