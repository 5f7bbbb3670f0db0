import { CALLR_NO_DATE, formatCallrDate } from '../../functions/callr/dates';

/**
 * CALLR's SMS object, as the emulator puts it in `data` of `sms.mo` and `sms.mt.status_update`
 * events: the same fields, order and value types as test/fixtures/callr/sms-mo.json and
 * sms-mt-status-update.json, so what the pipeline sees locally is what it sees from CALLR; and
 * the REST v2 SMS, the `payload` of `v2.sms.inbound.received` (v2-sms-inbound-received.json).
 */

export interface StatusChange {
  readonly oldStatus: string;
  readonly newStatus: string;
  readonly at: Date;
}

export interface InboundSms {
  readonly hash: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly receivedAt: Date;
}

export interface OutboundSms {
  readonly hash: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly nature: string;
  readonly userData: string;
  readonly webhookEndpoint: string | null;
  readonly createdAt: Date;
  /** Oldest first; the last entry is the current status. */
  readonly history: readonly StatusChange[];
}

// GSM 03.38: the basic set costs one septet per character, the extension set two.
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('^{}\\[~]|€\f');

export interface SmsEncoding {
  readonly encoding: 'GSM' | 'UNICODE';
  readonly parts: number;
}

/** The encoding CALLR would pick and how many parts the text takes (concatenated SMS lose room to the UDH). */
export function smsEncoding(text: string): SmsEncoding {
  let septets = 0;
  for (const character of text) {
    if (GSM_BASIC.has(character)) septets += 1;
    else if (GSM_EXTENSION.has(character)) septets += 2;
    else return { encoding: 'UNICODE', parts: partsFor(text.length, 70, 67) };
  }
  return { encoding: 'GSM', parts: partsFor(septets, 160, 153) };
}

function partsFor(units: number, single: number, perPart: number): number {
  if (units <= single) return 1;
  return Math.ceil(units / perPart);
}

const LEGACY_PUSH_FIELDS = {
  push_mo_enabled: false,
  push_mo_url: '',
  push_mo_url_auth: '',
  push_dlr_enabled: false,
  push_dlr_url: '',
  push_dlr_url_auth: '',
} as const;

export function inboundSmsObject(sms: InboundSms): Record<string, unknown> {
  const { encoding, parts } = smsEncoding(sms.text);
  const received = formatCallrDate(sms.receivedAt);
  return {
    type: 'IN',
    hash: sms.hash,
    from: sms.from,
    to: sms.to,
    text: sms.text,
    options: null,
    encoding,
    user_data: '',
    b_customer_mode: 'PREPAID',
    b_customer_debit: '0.00',
    network: '',
    status: 'RECEIVED',
    status_error: '',
    ...LEGACY_PUSH_FIELDS,
    parts,
    nature: 'MARKETING',
    date_creation: received,
    date_update: received,
    date_sent: CALLR_NO_DATE,
    date_received: received,
    status_history: [{ old_status: 'CREATED', new_status: 'RECEIVED', updated_at: received }],
  };
}

export function outboundSmsObject(sms: OutboundSms): Record<string, unknown> {
  const { encoding, parts } = smsEncoding(sms.text);
  const current = sms.history.at(-1);
  const sent = sms.history.find((change) => change.newStatus === 'SENT');
  const delivered = sms.history.find((change) => change.newStatus === 'DELIVERED');
  return {
    type: 'OUT',
    hash: sms.hash,
    from: sms.from,
    to: sms.to,
    text: sms.text,
    options: {
      force_encoding: null,
      nature: sms.nature,
      user_data: sms.userData,
      ...(sms.webhookEndpoint ? { webhook: { endpoint: sms.webhookEndpoint } } : {}),
    },
    encoding,
    user_data: sms.userData,
    b_customer_mode: 'PREPAID',
    b_customer_debit: (0.07 * parts).toFixed(2),
    network: '20801',
    status: current?.newStatus ?? 'CREATED',
    status_error: '',
    parts,
    nature: sms.nature,
    date_creation: formatCallrDate(sms.createdAt),
    date_update: formatCallrDate(current?.at ?? sms.createdAt),
    date_sent: formatCallrDate(sent?.at ?? null),
    date_received: formatCallrDate(delivered?.at ?? null),
    status_history: sms.history.map((change) => ({
      old_status: change.oldStatus,
      new_status: change.newStatus,
      updated_at: formatCallrDate(change.at),
    })),
  };
}

/**
 * The REST v2 SMS of a `v2.sms.inbound.received` event, after CALLR's reference page
 * "webhook-v2-sms-inbound-received": the JSON-RPC `hash` as `sid` in lower case ("same value, but
 * in lowercase"), the text in `body.text`, lower-case enums and RFC 3339 dates with milliseconds.
 */
export function inboundSmsPayloadV2(sms: InboundSms): Record<string, unknown> {
  const { encoding, parts } = smsEncoding(sms.text);
  const received = sms.receivedAt.toISOString();
  return {
    direction: 'inbound',
    sid: sms.hash.toLowerCase(),
    from: sms.from,
    to: sms.to,
    body: { text: sms.text },
    trafficType: 'marketing',
    status: 'received',
    error: '',
    created: received,
    delivered: received,
    updated: received,
    sent: received,
    parts,
    network: '',
    encoding: encoding.toLowerCase(),
    cost: '0.0',
    paymentType: 'prepaid',
    statusHistory: [{ after: 'received', before: 'created', at: received }],
  };
}
