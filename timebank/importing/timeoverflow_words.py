"""The words TimeOverflow writes in its two reports, in every language it ships.

TimeOverflow (coopdevs/timeoverflow) writes the reports' header rows, and the words that
stand for a member who is no longer active or no longer exists, in the language of the
coordinator who downloads them (`I18n.locale`); a word missing from that language falls
back to Spanish, its default locale (`config.i18n.fallbacks = true`). Its languages
(`config/application.rb`): es, ca, eu, gl, en, pt-BR, fr.

Where each word comes from:

- members report headers (`app/decorators/report/member_decorator.rb`): "N", then
  `User.human_attribute_name` of username, email, phone, alt_phone, created_at,
  last_sign_in_at and locale, then `Account.human_attribute_name(:balance)`
  (`activerecord.attributes.user.*`, `activerecord.attributes.account.balance`). No
  language has a `locale` attribute, so Rails writes "Locale" in every language.
- transfers report headers (`app/decorators/report/transfer_decorator.rb`):
  `statistics.all_transfers.{date,from,to,post,quantity}`; older locale files call the
  group `statistics.statistics_all_transfers` (the words are the same).
- `users.show.inactive_user` and `users.show.deleted_user`
  (`app/helpers/transfers_helper.rb`, `accounts_from_movements`).

Read from `config/locales/<lang>.yml` at these commits: en and es
68d31a69c7593e555edd243c1a2fdca03d6dcdfc; fr 0ecec0fc9a574c42f49893f2e3022dfc5f202135;
gl 089955c1fa3014c3d89c7b3435db342ea500136c; ca and pt-BR
0130570d5578311a9700a7d40b456111093c7f1c; eu cd1d54f71a6dea4a7cea6a17c0e496bc62334984.
Words are compared after trimming spaces and ignoring case; a header word not listed
here is a note, never an error (the columns are read by their place).
"""

from __future__ import annotations

LANGUAGES = ("es", "ca", "eu", "gl", "en", "pt-BR", "fr")

# Members report, column by column (the first is always "N").
MEMBER_HEADERS: dict[str, dict[str, str]] = {
    "username": {
        "en": "Name",
        "es": "Nombre",
        "ca": "Nom",
        "eu": "Izena",
        "gl": "Nome",
        "pt-BR": "Nome",
        "fr": "Nom",
    },
    "email": {
        "en": "Email",
        "es": "Correo",
        "ca": "Correu",
        "eu": "Imeila",
        "gl": "Correo electrónico",
        "pt-BR": "E-mail",
        "fr": "Adresse email",
    },
    "phone": {
        "en": "Phone",
        "es": "Teléfono",
        "ca": "Telèfon",
        "eu": "Telefono zenbakia",
        "gl": "Teléfono",
        "pt-BR": "Telefone",
        "fr": "Téléphone",
    },
    "alt_phone": {
        "en": "Alternative Phone",
        "es": "Teléfono alternativo",
        "ca": "Telèfon alternatiu",
        "eu": "Ordezko telefono zenbakia",
        "gl": "Teléfono alternativo",
        "pt-BR": "Telefone alternativo",
        "fr": "Téléphone (secondaire)",
    },
    "created_at": {
        "en": "Created",
        "es": "Creado",
        "ca": "Creat",
        "eu": "Sortua",
        "gl": "Creado",
        "pt-BR": "Criado",
        "fr": "Créé·e le",
    },
    "last_sign_in_at": {
        "en": "Last login",
        "es": "Fecha último login",
        "ca": "Data darrera connexió",
        "eu": "Azken konexioaren unea.",
        "gl": "Último inicio de sesión",
        "pt-BR": "Data do último login",
        "fr": "Dernière connexion",
    },
    "locale": {language: "Locale" for language in LANGUAGES},
    "balance": {
        "en": "Balance",
        "es": "Balance",
        "ca": "Balanç",
        "eu": "Balantzea",
        "gl": "Balance",
        "pt-BR": "Balanço",
        "fr": "Solde",
    },
}

MEMBER_COLUMNS = ("number", *MEMBER_HEADERS)

# Transfers report, column by column.
TRANSFER_HEADERS: dict[str, dict[str, str]] = {
    "date": {
        "en": "Date",
        "es": "Fecha",
        "ca": "Data",
        "eu": "Data",
        "gl": "Data",
        "pt-BR": "Data",
        "fr": "Date",
    },
    "from": {
        "en": "From",
        "es": "Origen",
        "ca": "Origen",
        "eu": "Jatorria",
        "gl": "De",
        "pt-BR": "Origem",
        "fr": "Depuis",
    },
    "to": {
        "en": "To",
        "es": "Destino",
        "ca": "Destí",
        "eu": "Helmuga, erabilera",
        "gl": "Para",
        "pt-BR": "Destino",
        "fr": "Vers",
    },
    "post": {
        "en": "Post",
        "es": "Anuncio",
        "ca": "Anunci",
        "eu": "Iragarkia",
        "gl": "Publicar",
        "pt-BR": "Anúncio",
        "fr": "Annonce",
    },
    "quantity": {
        "en": "Quantity",
        "es": "Cantidad",
        "ca": "Quantitat",
        "eu": "Kantitatea",
        "gl": "Cantidade",
        "pt-BR": "Quantidade",
        "fr": "Quantité",
    },
}

TRANSFER_COLUMNS = tuple(TRANSFER_HEADERS)

# What stands in "from" or "to" for a member who is no longer active in the bank.
INACTIVE_USER: dict[str, str] = {
    "en": "The user isn't active",
    "es": "El usuario no está activo",
    "ca": "L'usuari no està actiu",
    "eu": "Erabiltzailea ez dago erabilgarri",
    "gl": "A persoa usuaria non está activa",
    "pt-BR": "O usuário não está ativo",
    "fr": "L'utilisateur·rice n'est pas actif·ive",
}

# ... and for an account whose member was deleted.
DELETED_USER: dict[str, str] = {
    "en": "The user no longer exists",
    "es": "El usuario ya no existe",
    "ca": "L'usuari ja no existeix",
    "eu": "Erabiltzaile hau jada ez dago.",
    "gl": "A persoa usuaria xa non existe",
    "pt-BR": "O usuário não existe mais",
    "fr": "Cet·te utilisateur·rice n'existe plus",
}


def fold(text: str) -> str:
    """How two words are compared: spaces trimmed and collapsed, case ignored."""
    return " ".join(text.split()).casefold()


def _folded(words: dict[str, str]) -> frozenset[str]:
    return frozenset(fold(word) for word in words.values())


MEMBER_HEADER_WORDS = {column: _folded(words) for column, words in MEMBER_HEADERS.items()}
TRANSFER_HEADER_WORDS = {column: _folded(words) for column, words in TRANSFER_HEADERS.items()}
INACTIVE_WORDS = _folded(INACTIVE_USER)
DELETED_WORDS = _folded(DELETED_USER)
