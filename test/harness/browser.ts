/**
 * Headless Chromium (Debian's `chromium`, or CHROMIUM_PATH) through playwright-core. A missing
 * browser fails the test with a message saying how to install it; it never skips.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Without the background-networking flags it calls Google's hosts, which this closed network refuses. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath))
    throw new Error(`no Chromium at ${executablePath}: install Debian's chromium package (.ci/run does) or set CHROMIUM_PATH`);
  return await chromium.launch({ executablePath, args: FLAGS, headless: true });
}
