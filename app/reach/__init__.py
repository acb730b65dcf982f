"""Reaching invited citizens (issue 18): invitations sent by e-mail, SMS or Zalo with their contact
sealed until the wave closes, one reminder, opt-outs."""
