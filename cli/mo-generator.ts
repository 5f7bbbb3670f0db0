/**
 * Realistic, varied inbound SMS for `callr-mo simulate`: senders from several countries (some of
 * them writing more than once, as in a conversation), our long numbers and a shortcode, and the
 * texts that trip up receivers — accents, CJK, emoji, GSM extension characters, keywords and long
 * texts that arrive in several parts. Phone numbers come from the ranges regulators reserve for
 * fiction, so a simulation can never text a real person's number into a real system.
 */

export interface SimulatedSms {
  readonly from: string;
  readonly to: string;
  readonly text: string;
  /** Which kind of text it is, for reports. */
  readonly kind: TextKind;
}

export type TextKind = 'plain' | 'accents' | 'keyword' | 'gsm-extension' | 'cjk' | 'emoji' | 'long-gsm' | 'long-unicode';

/** Our numbers in simulations: a French and a British long number, and a shortcode. */
export const SIMULATED_RECIPIENTS = ['+33199001234', '+447700900123', '38123'] as const;

const SENDER_RANGES: ReadonlyArray<{ readonly prefix: string; readonly digits: number }> = [
  { prefix: '+3363998', digits: 4 }, // France, 06 39 98 xx xx: reserved for fiction (ARCEP)
  { prefix: '+447700900', digits: 3 }, // UK, 07700 900xxx: reserved for drama (Ofcom)
  { prefix: '+1212555010', digits: 1 }, // US, 555-0100..0109: reserved for fiction (NANPA)
  { prefix: '+1415555011', digits: 1 },
];

const SHORT_TEXTS: Readonly<Record<Exclude<TextKind, 'long-gsm' | 'long-unicode'>, readonly string[]>> = {
  plain: ['Hello, is the shop open on Sunday?', 'Ok see you at 7', 'Can you call me back please', 'Yes', 'Thanks, received!', 'What time is my appointment tomorrow?'],
  accents: ['Bonjour, je serai là à 15h. Merci !', 'Ça marche, à demain', '¿Dónde está la estación?', 'Grüße aus München', 'Não posso hoje, desculpa', 'Très bien, reçu 👌'],
  keyword: ['STOP', 'VOTE A', 'vote b', 'HELP', 'INFO', 'Stop please', 'UNSUBSCRIBE', 'JOIN'],
  'gsm-extension': ['Price is 5€ [promo] {code} ~ok~', 'Use code ^SUMMER^ | 10€ off', 'Path C:\\temp\\file [1]'],
  cjk: ['你好，我明天到。', '明日の予約を確認したいです', '감사합니다, 내일 봬요', '请给我回电话'],
  emoji: ['Merci 🙏', 'On my way 🚗💨', 'Happy birthday 🎉🎂', '👍', 'Love it ❤️ see you soon 😊'],
};

const LONG_GSM_SENTENCES = [
  'Hi, I ordered a table for four people on Friday evening but we will now be six.',
  'Could you please tell me whether that is still possible, and if not, which other days would work?',
  'We would also like a quiet corner if you have one, since it is my grandmother\'s birthday.',
  'Thank you very much for your help and have a nice day.',
  'PS: one of us is vegetarian, is there a menu for that?',
];
const LONG_UNICODE_SENTENCES = [
  'Bonjour, je voulais vous prévenir que le colis n\'est pas arrivé à l\'adresse indiquée. 📦',
  'Pourriez-vous vérifier le numéro de suivi et me rappeler dès que possible ?',
  'Je suis disponible toute la journée, sauf entre 12h et 14h. Merci beaucoup ! 🙏',
  'お手数ですが、よろしくお願いいたします。',
];

const KINDS: readonly TextKind[] = ['plain', 'accents', 'keyword', 'cjk', 'long-gsm', 'emoji', 'gsm-extension', 'long-unicode'];

export interface MoGeneratorOptions {
  /** Uniform in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Pins the sender of every SMS. */
  readonly from?: string;
  /** Pins the recipient of every SMS. */
  readonly to?: string;
}

export interface MoGenerator {
  next(): SimulatedSms;
}

/**
 * Cycles through the kinds of text from a random starting point, so any run of eight or more SMS
 * holds every kind, and picks senders from a small per-run pool, so some senders write twice.
 */
export function createMoGenerator(options: MoGeneratorOptions = {}): MoGenerator {
  const random = options.random ?? Math.random;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const senders = Array.from({ length: 5 }, () => {
    const range = pick(SENDER_RANGES);
    const suffix = Array.from({ length: range.digits }, () => Math.floor(random() * 10)).join('');
    return `${range.prefix}${suffix}`;
  });
  let index = Math.floor(random() * KINDS.length);

  const textOf = (kind: TextKind): string => {
    switch (kind) {
      case 'long-gsm':
        return sentences(LONG_GSM_SENTENCES, 3 + Math.floor(random() * 3));
      case 'long-unicode':
        return sentences(LONG_UNICODE_SENTENCES, 2 + Math.floor(random() * 3));
      default:
        return pick(SHORT_TEXTS[kind]);
    }
  };
  // Consecutive sentences from a random start: readable, and always long enough to need several parts.
  const sentences = (pool: readonly string[], count: number): string => {
    const start = Math.floor(random() * pool.length);
    return Array.from({ length: count }, (_, offset) => pool[(start + offset) % pool.length]).join(' ');
  };

  return {
    next() {
      const kind = KINDS[index++ % KINDS.length]!;
      return {
        from: options.from ?? pick(senders),
        to: options.to ?? pick(SIMULATED_RECIPIENTS),
        text: textOf(kind),
        kind,
      };
    },
  };
}

/** A small seeded PRNG (mulberry32), so a test or a `--seed` run gets the same SMS every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
