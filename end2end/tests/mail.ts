// What arrived at the tests' SMTP server (maildev, started by playwright.config.ts).
import { expect } from '@playwright/test';

const api = `http://127.0.0.1:${process.env.E2E_MAIL_WEB_PORT ?? 3301}/api/email`;

type Message = { subject: string; text: string; to: { address: string }[] };

/** The newest message to `address` whose subject contains `subject`, once it has arrived. */
export async function newestMail(address: string, subject: string): Promise<Message> {
  let found: Message | undefined;
  await expect
    .poll(
      async () => {
        const all: Message[] = await (await fetch(api)).json();
        const matching = all.filter((m) => m.to.some((t) => t.address === address) && m.subject.includes(subject));
        // maildev lists messages in arrival order (the Date header has only whole seconds).
        found = matching[matching.length - 1];
        return found !== undefined;
      },
      { timeout: 20_000, message: `an email to ${address} about "${subject}"` },
    )
    .toBe(true);
  return found as Message;
}

/** How many messages to `address` about `subject` arrived so far. */
export async function countMail(address: string, subject: string): Promise<number> {
  const all: Message[] = await (await fetch(api)).json();
  return all.filter((m) => m.to.some((t) => t.address === address) && m.subject.includes(subject)).length;
}

/** The absolute link to `path` in a message's text. */
export function linkIn(message: Message, path: string): string {
  const match = message.text.match(new RegExp(`https?://\\S+${path.replace(/\//g, '\\/')}\\?token=[0-9a-f]+`));
  expect(match, `a ${path} link in: ${message.text}`).not.toBeNull();
  return (match as RegExpMatchArray)[0];
}
