"""Password hashing (bcrypt) and the password rules of modern guidance (NIST SP 800-63B).

bcrypt reads only the first 72 bytes; a Cyrillic letter takes two bytes in UTF-8, so a
64-character Russian password would be silently truncated. We pre-hash every password
with SHA-256 (base64, 44 bytes) before bcrypt, so every character counts. Passwords are
NFKC-normalised first (as NIST advises), so the same letters typed on another keyboard or
phone, composed or decomposed, give the same password.
"""

from __future__ import annotations

import base64
import hashlib
import random
import secrets
import unicodedata

import bcrypt

MIN_LENGTH = 8
MAX_LENGTH = 128
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# The most common passwords (leaked-password lists, incl. Russian keyboard habits).
COMMON_PASSWORDS = frozenset(
    """
    12345678 123456789 1234567890 0123456789 87654321 11111111 00000000 12341234
    qwertyui qwertyuiop qwerty123 qwerty12345 password password1 password123 passw0rd
    iloveyou 1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx abcd1234 abc12345 asdfghjk
    asdfghjkl zxcvbnm1 zxcvbnm123 11223344 12344321 qazwsxedc 123qweasd 123123123
    1234qwer qwer1234 q1w2e3r4 superman football baseball sunshine princess dragon12
    йцукенгш йцукенгшщз пароль123 парольпароль привет123 qwertyqwerty 999999999
    55555555 77777777 88888888 12121212 112233445566 123456789a a123456789 admin123
    administrator welcome1 letmein1 trustno1 monkey123 master123 shadow123 school123
    школа123 ejournal dnevnik1 dnevnik123 дневник123 журнал123 11112222 1111111111
    """.split()
)


def normalise(password: str) -> str:
    """The form a password is checked and hashed in (Unicode NFKC)."""
    return unicodedata.normalize("NFKC", password)


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(normalise(password).encode("utf-8")).digest())


def hash_password(password: str, rounds: int) -> str:
    """A bcrypt hash of `password` at cost `rounds` (12 in production)."""
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches; never raises on a malformed hash."""
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


def hash_rounds(password_hash: str) -> int:
    """The cost a hash was made with ($2b$12$… → 12)."""
    try:
        return int(password_hash.split("$")[2])
    except (IndexError, ValueError):
        return 0


def password_problem(password: str, *, login: str = "") -> str | None:
    """Why `password` is refused (a Russian sentence), or None when it is acceptable."""
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        return f"Пароль должен быть не короче {MIN_LENGTH} символов."
    if len(password) > MAX_LENGTH:
        return f"Пароль должен быть не длиннее {MAX_LENGTH} символов."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) <= 2:
        return "Этот пароль слишком распространён, его легко угадать. Выберите другой."
    if login and lowered == login.lower():
        return "Пароль не должен совпадать с логином."
    return None


def one_time_password(rng: random.Random | None = None, length: int = 10) -> str:
    """A random one-time password (≈57 bits), without look-alike characters."""
    chooser = rng or secrets.SystemRandom()
    return "".join(chooser.choice(ONE_TIME_ALPHABET) for _ in range(length))
