"""Fill a local workbench with demo tenants, rights and listings, and print the logins.

Idempotent: every row is found by its natural key (username, organisation slug,
(office, registration number), (platform, external id)) and created only when
missing, so running it twice adds nothing. Rights, authorisations and
authorised sellers are created through the services, with their uploads
checked like a user's, and verified by the demo operator moderator.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand, CommandError

from listings.fetch import FetchedImage
from listings.models import Listing, ListingImage, Platform, Seller
from listings.services.images import listing_images_fetch
from listings.services.platforms import platform_ensure
from rightsholders import services
from rightsholders.models import (
    AgentAuthorisation,
    AuthorisedSeller,
    Membership,
    Organisation,
    Right,
)
from takedown.management import demo_files
from takedown.models import ReasonTemplate
from takedown.states import RightStatus

# Local demo only: the command refuses the production profile. Passes Django's
# password validators (length, common passwords, similarity, all-numeric).
DEMO_PASSWORD = "takedown-demo-2025"

Role = Membership.Role
Kind = Organisation.Kind


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    organisation: str  # slug
    role: str
    sees: str


@dataclass(frozen=True)
class DemoRight:
    kind: str
    name: str
    office: str
    registration_number: str
    goods_description: str
    territories: list[str]
    mark_text: str = ""
    nice_classes: list[int] = field(default_factory=list)
    locarno_class: str = ""
    reference_price: Decimal | None = None
    reference_currency: str = ""


ORGANISATIONS = [
    # slug, name, kind, country
    ("operator", "Workbench Operator", Kind.OPERATOR, "DE"),
    ("demomart", "DemoMart", Kind.PLATFORM, "NL"),
    ("aurelia-fashion", "Aurelia Fashion", Kind.RIGHTS_HOLDER, "IT"),
    ("nordvik-outdoor", "Nordvik Outdoor", Kind.RIGHTS_HOLDER, "NO"),
    ("halden-voss-ip", "Halden & Voss IP Attorneys", Kind.AGENT, "DE"),
]

USERS = [
    DemoUser(
        "moderator",
        "Mira",
        "Operator",
        "operator",
        Role.MODERATOR,
        "operator moderator: every tenant, the rights verification queue",
    ),
    DemoUser(
        "demomart-moderator",
        "Pieter",
        "Jansen",
        "demomart",
        Role.MODERATOR,
        "DemoMart moderator: DemoMart's listings only",
    ),
    DemoUser(
        "demomart-engineer",
        "Eva",
        "de Vries",
        "demomart",
        Role.ADMIN,
        "DemoMart engineer (admin): DemoMart's sellers and 300 listings",
    ),
    DemoUser(
        "aurelia",
        "Giulia",
        "Romano",
        "aurelia-fashion",
        Role.ADMIN,
        "Aurelia Fashion (rights holder): its 4 verified rights, an authorised seller",
    ),
    DemoUser(
        "nordvik",
        "Ingrid",
        "Halvorsen",
        "nordvik-outdoor",
        Role.ADMIN,
        "Nordvik Outdoor (rights holder): its 4 verified rights",
    ),
    DemoUser(
        "agent",
        "Jonas",
        "Halden",
        "halden-voss-ip",
        Role.ADMIN,
        "Halden & Voss (agent law firm): acts for Aurelia Fashion under a letter",
    ),
]

TEN_YEARS = datetime.date(2034, 12, 31)

RIGHTS: dict[str, list[DemoRight]] = {
    "aurelia-fashion": [
        DemoRight(
            kind=Right.Kind.WORD_MARK,
            name="AURELIA",
            mark_text="AURELIA",
            office=Right.Office.EU,
            registration_number="018204117",
            nice_classes=[18, 25],
            goods_description="Handbags, leather goods, clothing, scarves.",
            territories=["EU", "GB", "CH"],
            reference_price=Decimal("640.00"),
            reference_currency="EUR",
        ),
        DemoRight(
            kind=Right.Kind.WORD_MARK,
            name="AURELIA MILANO",
            mark_text="AURELIA MILANO",
            office=Right.Office.CN,
            registration_number="52718344",
            nice_classes=[18],
            goods_description="Handbags, purses, travelling bags.",
            territories=["CN", "HK"],
            reference_price=Decimal("4900.00"),
            reference_currency="CNY",
        ),
        DemoRight(
            kind=Right.Kind.FIGURATIVE_MARK,
            name="Aurelia 'A' logo",
            office=Right.Office.WIPO,
            registration_number="1587342",
            nice_classes=[14, 18, 25],
            goods_description="Jewellery, handbags, clothing.",
            territories=["EU", "US", "CN", "JP"],
        ),
        DemoRight(
            kind=Right.Kind.DESIGN,
            name="Aurelia 'Luna' handbag",
            office=Right.Office.EU,
            registration_number="008812345-0001",
            locarno_class="03-01",
            goods_description="Handbag with a curved top handle.",
            territories=["EU"],
            reference_price=Decimal("890.00"),
            reference_currency="EUR",
        ),
    ],
    "nordvik-outdoor": [
        DemoRight(
            kind=Right.Kind.WORD_MARK,
            name="NORDVIK",
            mark_text="NORDVIK",
            office=Right.Office.EU,
            registration_number="017993210",
            nice_classes=[18, 22, 25],
            goods_description="Outdoor clothing, rucksacks, tents.",
            territories=["EU", "NO", "GB"],
            reference_price=Decimal("320.00"),
            reference_currency="EUR",
        ),
        DemoRight(
            kind=Right.Kind.WORD_MARK,
            name="FJELLSTORM",
            mark_text="FJELLSTORM",
            office=Right.Office.US,
            registration_number="6123457",
            nice_classes=[25],
            goods_description="Waterproof jackets and trousers.",
            territories=["US"],
            reference_price=Decimal("379.00"),
            reference_currency="USD",
        ),
        DemoRight(
            kind=Right.Kind.FIGURATIVE_MARK,
            name="Nordvik mountain logo",
            office=Right.Office.EU,
            registration_number="018377001",
            nice_classes=[18, 25],
            goods_description="Rucksacks, outdoor clothing.",
            territories=["EU"],
        ),
        DemoRight(
            kind=Right.Kind.DESIGN,
            name="Nordvik 'Trail 28' backpack",
            office=Right.Office.EU,
            registration_number="008899771-0002",
            locarno_class="03-01",
            goods_description="Backpack with a front stash pocket.",
            territories=["EU"],
            reference_price=Decimal("189.00"),
            reference_currency="EUR",
        ),
    ],
}


@dataclass(frozen=True)
class BrandLook:
    colour: tuple[int, int, int]
    shape: str
    product: str


BRAND_LOOK = {
    "aurelia-fashion": BrandLook(colour=(176, 124, 40), shape="circle", product="bag"),
    "nordvik-outdoor": BrandLook(colour=(36, 98, 72), shape="mountain", product="backpack"),
}

# Listing titles: (weight, template, price range, currencies, brand field)
COLOURS = ["black", "camel", "navy", "olive", "red", "beige", "grey", "white"]
GENUINE = [
    "Aurelia Luna leather handbag, {c}",
    "AURELIA silk scarf 90x90 floral print, {c}",
    "Aurelia Milano leather tote bag, {c}",
    "Aurelia card holder in grained calfskin, {c}",
    "Nordvik Fjellstorm 3-layer shell jacket, men, {c}",
    "Nordvik Trail 28 hiking backpack 28L, {c}",
    "NORDVIK merino base layer top, women, {c}",
    "Nordvik Fjellstorm waterproof trousers, {c}",
]
LOOKALIKE = [
    "Aurelya Luna style handbag {c} designer inspired",
    "AURE1IA luxury tote bag replica AAA 1:1 {c}",
    "Aurellia Milano purse mirror quality {c}",
    "Lou1s Vuiton replica AAA monogram bag {c}",
    "Nikee Air running shoes {c} size 36-45",
    "N1KE sports sneakers AAA quality {c}",
    "Guccy GG belt replica {c} 1:1",
    "Nordvick waterproof shell jacket {c} outdoor",
    "N0RDVIK Trail backpack 28L replica {c}",
    "Nordvik-style Fjel1storm jacket AAA {c}",
]
COMPATIBLE = [
    "Replacement shoulder strap compatible with Aurelia Luna handbags, {c}",
    "Rain cover compatible with Nordvik Trail 28 backpacks",
    "Phone case compatible with iPhone 15, {c} silicone",
    "Bag organiser insert compatible with Aurelia Milano tote, felt",
    "Hip belt pockets compatible with Nordvik rucksacks",
]
GENERIC = [
    "Stainless steel water bottle 750 ml, {c}",
    "Cotton crew neck t-shirt pack of 3, {c}",
    "Wireless earbuds Bluetooth 5.3 with charging case",
    "Kids rain boots, {c}",
    "Canvas tote bag, plain {c}",
    "Trekking poles aluminium, pair",
    "Wool beanie hat, {c}",
    "Camping headlamp 300 lumen rechargeable",
    "Leather belt with silver buckle, {c}",
    "Insulated lunch box, {c}",
]
SHIP_TO = [
    ["DE", "FR", "IT", "ES", "NL"],
    ["IT"],
    ["US"],
    ["CN", "HK"],
    ["GB", "IE"],
    ["NO", "SE", "DK"],
    ["DE", "AT", "CH"],
]
CURRENCY_BY_REGION = {"CN": "CNY", "US": "USD", "GB": "GBP", "NO": "NOK", "IT": "EUR"}
# Rough exchange rates from EUR, only to make demo prices look local.
RATE = {"EUR": 1, "USD": 1.1, "CNY": 7.8, "GBP": 0.85, "NOK": 11.6}
SELLER_WORDS = (
    "Alpine Atlas Bright Cedar Coastal Dragon Eastern Golden Harbor Lucky Maple "
    "Metro North Orchid Pearl Royal Silver Sunrise Urban Velvet"
).split()
SELLER_KINDS = "Outlet Store Trading Boutique Supply Goods Mart Shop".split()

CATEGORIES = [
    ("Shoes", ("shoes", "sneakers", "boots")),
    ("Outdoor", ("backpack", "rucksack", "poles", "headlamp", "rain cover", "hip belt")),
    ("Clothing", ("jacket", "trousers", "t-shirt", "layer", "beanie")),
    ("Bags & accessories", ("bag", "tote", "purse", "scarf", "belt", "holder", "strap")),
]
LISTING_COUNT = 300
SELLER_COUNT = 40


def _category(title: str) -> str:
    lowered = title.lower()
    for category, words in CATEGORIES:
        if any(w in lowered for w in words):
            return category
    return "Home & electronics"


# Reason templates moderators decide with (platform-scoped?, decision, title, text).
REASON_TEMPLATES = [
    (
        False,
        "remove",
        "Counterfeit: copied mark, price far below",
        "The listing “{listing_title}” ({listing_id}) offers goods bearing a sign identical "
        "to {right} without the consent of {rights_holder}; the price and presentation show "
        "they are not genuine. Removed on complaint {complaint_reference}.",
    ),
    (
        False,
        "remove",
        "Design copied",
        "The product of listing “{listing_title}” ({listing_id}) reproduces the registered "
        "design {right} of {rights_holder}. Removed on complaint {complaint_reference}.",
    ),
    (
        False,
        "restrict",
        "Restricted where the right holds",
        "The listing “{listing_title}” infringes {right} in the territories where it is "
        "registered; it stays visible elsewhere.",
    ),
    (
        False,
        "reject",
        "Genuine goods (resale)",
        "The listing “{listing_title}” resells genuine goods; {right} is exhausted by their "
        "first sale with the consent of {rights_holder}. Complaint {complaint_reference} rejected.",
    ),
    (
        False,
        "reject",
        "Not the mark relied on",
        "The listing “{listing_title}” does not use a sign identical or similar to {right}.",
    ),
    (
        False,
        "request_info",
        "Test purchase asked",
        "Please send the result of a test purchase of listing {listing_id} showing that the "
        "goods are not genuine goods of {rights_holder}.",
    ),
    (
        False,
        "appeal_uphold",
        "Appeal upheld: genuine after all",
        "On appeal, the evidence shows the goods of listing “{listing_title}” are genuine; "
        "the decision on complaint {complaint_reference} is reversed.",
    ),
    (
        False,
        "appeal_dismiss",
        "Appeal dismissed: decision stands",
        "The appeal brings nothing that changes the assessment of listing “{listing_title}” "
        "under {right}; the decision stands.",
    ),
    (
        True,
        "remove",
        "DemoMart: counterfeit, with the counter-notice regime",
        "Removed from {platform}: the listing “{listing_title}” offers counterfeits of {right}. "
        "You may object with a counter-notice ({regime}).",
    ),
]


class Command(BaseCommand):
    help = "Load demo organisations, users, rights and DemoMart listings (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even in the production profile (creates users with a published password).",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if settings.PRODUCTION and not force:
            raise CommandError(
                "load_demo creates users with a published password; it refuses "
                "TAKEDOWN_PROFILE=production (use --force if you really mean it)."
            )
        self.created: dict[str, int] = {}
        orgs = {
            slug: self._organisation(slug, name, kind, c) for slug, name, kind, c in ORGANISATIONS
        }
        users = {u.username: self._user(u, orgs[u.organisation]) for u in USERS}
        platform = self._platform(orgs["demomart"])
        sellers = self._sellers(platform)
        self._listings(platform, sellers)
        self._listing_photos(platform)
        moderator = users["moderator"]
        for slug, owner in (("aurelia-fashion", "aurelia"), ("nordvik-outdoor", "nordvik")):
            for spec in RIGHTS[slug]:
                self._right(spec, holder=orgs[slug], actor=users[owner], moderator=moderator)
        self._authorised_seller(orgs["aurelia-fashion"], platform, sellers[0], users["aurelia"])
        self._authorisation(orgs["aurelia-fashion"], orgs["halden-voss-ip"], users["aurelia"])
        self._reason_templates(platform)
        self._report()

    # Rows ---------------------------------------------------------------------

    def _count(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1

    def _organisation(self, slug: str, name: str, kind: str, country: str) -> Organisation:
        org = Organisation.objects.filter(slug=slug).first()
        if org is None:
            org = services.organisation_create(
                name=name,
                kind=kind,
                slug=slug,
                country=country,
                contact_email=f"contact@{slug}.example",
            )
            self._count("organisations")
        return org

    def _user(self, spec: DemoUser, organisation: Organisation):
        User = get_user_model()
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@{organisation.slug}.example",
            )
            validate_password(DEMO_PASSWORD, user)
            user.set_password(DEMO_PASSWORD)
            user.save()
            self._count("users")
        if not Membership.objects.filter(user=user, organisation=organisation).exists():
            services.membership_add(organisation=organisation, user=user, role=spec.role)
            self._count("memberships")
        return user

    def _platform(self, organisation: Organisation) -> Platform:
        platform, created = platform_ensure(
            name=organisation.name, slug=organisation.slug, website="https://demomart.example"
        )
        if created:
            self._count("platforms")
        return platform

    def _sellers(self, platform: Platform) -> list[Seller]:
        rng = random.Random(40)
        specs = [("S0001", "Aurelia Official Store")]
        for n in range(2, SELLER_COUNT + 1):
            name = f"{rng.choice(SELLER_WORDS)} {rng.choice(SELLER_KINDS)} {n:02d}"
            specs.append((f"S{n:04d}", name))
        sellers = []
        for external_id, name in specs:
            seller, created = Seller.objects.get_or_create(
                platform=platform,
                external_id=external_id,
                defaults={
                    "name": name,
                    "contact_name": f"Contact of {name}",
                    "contact_email": f"{external_id.lower()}@sellers.demomart.example",
                },
            )
            if created:
                self._count("sellers")
            sellers.append(seller)
        return sellers

    def _listings(self, platform: Platform, sellers: list[Seller]) -> None:
        rng = random.Random(300)
        existing = set(platform.listings.values_list("external_id", flat=True))
        new = []
        for n in range(1, LISTING_COUNT + 1):
            external_id = f"DM-{n:06d}"
            # Draw every listing, new or not, so the sequence never shifts.
            title, eur, seller, brand = self._listing_draw(rng, sellers)
            ship_to = rng.choice(SHIP_TO)
            currency = CURRENCY_BY_REGION.get(ship_to[0], "EUR")
            price = Decimal(str(round(eur * RATE[currency], 2)))
            if external_id in existing:
                continue
            new.append(
                Listing(
                    platform=platform,
                    external_id=external_id,
                    title=title,
                    url=f"https://demomart.example/item/{external_id}",
                    description=f"{title}. Fast shipping from {seller.name}.",
                    price=price,
                    currency=currency,
                    seller=seller,
                    category=_category(title),
                    ship_to=ship_to,
                    brand=brand,
                )
            )
        Listing.objects.bulk_create(new)
        if new:
            self.created["listings"] = len(new)

    def _listing_photos(self, platform: Platform) -> None:
        """One photo per listing, stored through the image intake (decoded, hashed, thumbnailed).

        Look-alikes show the brands' own pictures mirrored, cropped or padded,
        as counterfeit listings do; some plain titles show Aurelia's bag (a
        design copied without the name); the rest show unrelated pictures.
        """
        todo = list(platform.listings.filter(images__isnull=True).order_by("external_id"))
        if not todo:
            return
        aurelia, nordvik = BRAND_LOOK["aurelia-fashion"], BRAND_LOOK["nordvik-outdoor"]
        pictures = {
            "aurelia-logo": demo_files.logo(
                "Aurelia Fashion", colour=aurelia.colour, shape=aurelia.shape, name="a.png"
            ).read(),
            "aurelia-bag": demo_files.design_view(
                aurelia.product, colour=aurelia.colour, view="front", name="b.png"
            ).read(),
            "nordvik-backpack": demo_files.design_view(
                nordvik.product, colour=nordvik.colour, view="front", name="c.png"
            ).read(),
        }
        photos: dict[str, bytes] = {}
        rows: list[ListingImage] = []
        for listing in todo:
            number = int(listing.external_id.split("-")[-1])
            rng = random.Random(number)
            title = listing.title.lower()
            transform = rng.choice(["", "mirror", "crop", "pad"])
            if "replica" in title and ("aure" in title or "lou1s" in title):
                photo = demo_files.product_photo(
                    number, copy_of=pictures["aurelia-logo"], transform=transform
                )
            elif "tote bag, plain" in title or ("aurel" in title and "bag" in title):
                photo = demo_files.product_photo(
                    number, copy_of=pictures["aurelia-bag"], transform=transform
                )
            elif "backpack" in title and ("nordvi" in title or "n0rdvik" in title):
                photo = demo_files.product_photo(
                    number, copy_of=pictures["nordvik-backpack"], transform=transform
                )
            else:
                photo = demo_files.product_photo(number)
            url = f"https://demomart.example/images/{listing.external_id}.jpg"
            photos[url] = photo
            listing.image_urls = [url]
            rows.append(ListingImage(listing=listing, url=url, position=0))
        Listing.objects.bulk_update(todo, ["image_urls"])
        created = ListingImage.objects.bulk_create(rows)

        def from_demo(url: str) -> FetchedImage:
            return FetchedImage(data=photos[url], content_type="image/jpeg", final_url=url)

        listing_images_fetch(image_ids=[row.pk for row in created], fetch=from_demo)
        self.created["listing photos"] = len(created)

    @staticmethod
    def _listing_draw(rng: random.Random, sellers: list[Seller]):
        colour = rng.choice(COLOURS)
        group = rng.choices(["genuine", "lookalike", "compatible", "generic"], [25, 30, 15, 30])[0]
        if group == "genuine":
            template = rng.choice(GENUINE)
            brand = "Aurelia" if "urelia" in template.lower() else "Nordvik"
            eur = rng.uniform(150, 900)
            # The official store sells most genuine Aurelia goods.
            seller = (
                sellers[0] if brand == "Aurelia" and rng.random() < 0.7 else rng.choice(sellers[1:])
            )
        elif group == "lookalike":
            template = rng.choice(LOOKALIKE)
            brand = ""
            eur = rng.uniform(9, 60)
            # A handful of sellers carry most of the look-alikes, as in real feeds.
            seller = rng.choice(sellers[30:])
        elif group == "compatible":
            template = rng.choice(COMPATIBLE)
            brand = "Generic"
            eur = rng.uniform(5, 35)
            seller = rng.choice(sellers[1:])
        else:
            template = rng.choice(GENERIC)
            brand = ""
            eur = rng.uniform(4, 80)
            seller = rng.choice(sellers[1:])
        return template.format(c=colour), eur, seller, brand

    def _right(self, spec: DemoRight, *, holder: Organisation, actor, moderator) -> None:
        right = Right.objects.filter(
            rights_holder=holder, office=spec.office, registration_number=spec.registration_number
        ).first()
        if right is None:
            right = self._submit(spec, holder=holder, actor=actor)
            self._count("rights")
        if right.status == RightStatus.SUBMITTED:
            services.right_verify(actor=moderator, right=right, note="Demo data: checked.")

    def _submit(self, spec: DemoRight, *, holder: Organisation, actor) -> Right:
        look = BRAND_LOOK[holder.slug]
        stem = spec.registration_number.replace("-", "_")
        images = []
        if spec.kind == Right.Kind.FIGURATIVE_MARK:
            images = [
                demo_files.logo(
                    holder.name, colour=look.colour, shape=look.shape, name=f"logo_{stem}.png"
                )
            ]
        elif spec.kind == Right.Kind.DESIGN:
            images = [
                demo_files.design_view(
                    look.product, colour=look.colour, view=view, name=f"{view}_{stem}.png"
                )
                for view in ("front", "side")
            ]
        proof = demo_files.certificate_pdf(
            office=spec.office,
            registration_number=spec.registration_number,
            holder=holder.name,
            title=spec.name,
            name=f"certificate_{stem}.pdf",
        )
        data = services.RightData(
            kind=spec.kind,
            name=spec.name,
            registration_number=spec.registration_number,
            office=spec.office,
            goods_description=spec.goods_description,
            territories=spec.territories,
            valid_from=datetime.date(2020, 1, 15),
            valid_until=TEN_YEARS,
            mark_text=spec.mark_text,
            nice_classes=spec.nice_classes,
            locarno_class=spec.locarno_class,
            reference_price=spec.reference_price,
            reference_currency=spec.reference_currency,
        )
        return services.right_submit(
            actor=actor, rights_holder=holder, data=data, images=images, proof_documents=[proof]
        )

    def _authorised_seller(self, holder: Organisation, platform: Platform, seller, actor) -> None:
        if AuthorisedSeller.objects.filter(
            rights_holder=holder, platform=platform, seller_external_id=seller.external_id
        ).exists():
            return
        services.authorised_seller_add(
            actor=actor,
            rights_holder=holder,
            platform=platform,
            seller_external_id=seller.external_id,
            seller_name=seller.name,
            is_own_store=True,
            note="Aurelia's own store on DemoMart.",
        )
        self._count("authorised sellers")

    def _authorisation(self, holder: Organisation, agent: Organisation, actor) -> None:
        if AgentAuthorisation.objects.active().filter(agent=agent, rights_holder=holder).exists():
            return
        services.agent_authorisation_grant(
            actor=actor,
            rights_holder=holder,
            agent=agent,
            letter=demo_files.letter_pdf(
                agent=agent.name, holder=holder.name, name="letter_of_authorisation.pdf"
            ),
            valid_from=datetime.date(2024, 1, 1),
            valid_until=TEN_YEARS,
        )
        self._count("agent authorisations")

    def _reason_templates(self, platform: Platform) -> None:
        """The operator's global reason templates and one of DemoMart's own (by title)."""
        for platform_scoped, action, title, text in REASON_TEMPLATES:
            _, created = ReasonTemplate.objects.get_or_create(
                platform=platform if platform_scoped else None,
                action=action,
                title=title,
                defaults={"text": text},
            )
            if created:
                self._count("reason templates")

    # Output -------------------------------------------------------------------

    def _report(self) -> None:
        made = ", ".join(f"{n} {what}" for what, n in self.created.items()) or "nothing new"
        self.stdout.write(f"Demo data loaded: {made}.")
        self.stdout.write("")
        self.stdout.write(f"Log in with any of these users, password: {DEMO_PASSWORD}")
        width = max(len(u.username) for u in USERS)
        for u in USERS:
            self.stdout.write(f"  {u.username:<{width}}  {u.sees}")
