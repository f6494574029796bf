/** Two messages written for this example, to classify after training: one legitimate, one spam. */
export const sampleMessages = {
  ham: `From: Alice <alice@example.org>
To: team@example.org
Subject: Minutes of Tuesday's build meeting

Hi all, attached are the notes from the meeting. We agreed to move the release
branch cut to Thursday and to look again at the flaky test in the parser module.
Cheers, Alice`,
  spam: `From: "Best Deals" <offers@cheap-meds.example>
To: you@example.org
Subject: FREE!!! Claim your $1000 prize now - limited time offer
Content-Type: text/html; charset="iso-8859-1"

<html><body><p>CONGRATULATIONS! You have been selected to receive a <b>FREE</b> gift card worth $500.
Click <a href="http://claim-prize.example/now">here</a> or visit www.claim-prize.example to claim your money NOW!
No credit card needed! Order today and save 90% on viagra. Unsubscribe here.</p></body></html>`,
} as const;
