const gsmBasic =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const gsmExtension = '\f^{}\\[~]|€';

/** How a gateway bills a text: encoding and number of parts (GSM-7 160/153, UCS-2 70/67). */
export interface SmsSegmentCount {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
}

/**
 * Counts SMS parts the way gateways bill them. A simple, self-contained counter for the sandbox's prices; the SMS
 * channel package has the exact one (extension characters and surrogate pairs at part boundaries).
 */
export function countSmsSegments(text: string): SmsSegmentCount {
  let septets = 0;
  let gsm = true;
  for (const character of text) {
    if (gsmBasic.includes(character)) septets += 1;
    else if (gsmExtension.includes(character)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM-7', segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length;
  return { encoding: 'UCS-2', segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
