"""The Lishui showcase (丽水专区): brands, products with photos and shop links, curated collections, search, and
the clicks out to shop links counted as traffic for the enterprise."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from sqlalchemy import ColumnElement, Select, TextClause, and_, func, select, text
from sqlalchemy.orm import Session

from lishui.core import audit
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from lishui.core.files import UnsupportedFile, check_size, store
from lishui.marketplace.models import (
    Brand,
    Collection,
    CollectionItem,
    Image,
    LinkClick,
    Product,
    ShopLink,
)
from lishui.marketplace.service import JURISDICTIONS
from lishui.marketplace.text import ngrams, query_grams
from lishui.marketplace.vocab import PLATFORMS, PRODUCT_CATEGORIES
from lishui.registry import get_organisation_unscoped

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # decompression bombs: a small file that decodes to a huge bitmap
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
IMAGE_EDGE = 1200  # longest side after resizing
IMAGE_FOLDER = "showcase"


# ---------------------------------------------------------------- images

def process_image(data: bytes) -> tuple[bytes, int, int]:
    """Check size and type from the content, resize to at most 1200 px, re-encode as JPEG without metadata."""
    check_size(data, MAX_IMAGE_BYTES)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            probe = PILImage.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise PayloadTooLarge("图片像素过多，已拒绝")
            if fmt not in IMAGE_FORMATS:
                raise UnsupportedFile("只接受 JPEG、PNG 或 WebP 图片")
            probe.verify()
            picture = PILImage.open(io.BytesIO(data))
            picture.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, PILImage.DecompressionBombWarning,
            PILImage.DecompressionBombError):
        raise UnsupportedFile("文件不是有效的图片（只接受 JPEG、PNG 或 WebP）") from None
    rgb = picture.convert("RGB")
    rgb.thumbnail((IMAGE_EDGE, IMAGE_EDGE))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue(), rgb.width, rgb.height


def save_image(session: Session, actor: Actor, data: bytes, upload_dir: Path) -> Image:
    if actor.org_id is None:
        raise Forbidden("只有机构用户可以上传图片")
    encoded, width, height = process_image(data)
    stored, digest = store(upload_dir / IMAGE_FOLDER, encoded)
    image = Image(org_id=actor.org_id, stored_name=stored, media_type="image/jpeg", width=width, height=height,
                  sha256=digest)
    session.add(image)
    session.flush()
    audit.record(session, actor, "marketplace.image.upload", object_type="image", object_id=image.id,
                 after={"sha256": digest, "width": width, "height": height})
    return image


def image_bytes(session: Session, image_id: int, upload_dir: Path) -> bytes:
    image = session.get(Image, image_id)
    if image is None:
        raise NotFound("图片不存在")
    path = upload_dir / IMAGE_FOLDER / image.stored_name
    if not path.is_file():
        raise NotFound("图片不存在")
    return path.read_bytes()


# ---------------------------------------------------------------- products

def search_tokens(name: str, description: str, brand: str, certifications: str) -> str:
    return " " + " ".join(ngrams(f"{name} {brand} {certifications} {description}")) + " "


def _check_url(value: str, row: int | None = None) -> str:
    url = value.strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        raise ValidationFailed("店铺链接有误", [FieldError("links", f"“{url[:60]}”不是有效的 http(s) 网址", row)])
    return url


@dataclass
class ProductInput:
    name: str
    category: str
    description: str = ""
    certifications: str = ""
    brand: str = ""
    links: list[tuple[str, str]] | None = None  # (platform, url)


def check_product(data: ProductInput, row: int | None = None) -> list[FieldError]:
    errors = []
    if not data.name.strip():
        errors.append(FieldError("name", "请填写产品名称", row))
    elif len(data.name) > 200:
        errors.append(FieldError("name", "产品名称不能超过200个字", row))
    if not data.category:
        errors.append(FieldError("category", "请选择产品类别", row))
    elif data.category not in PRODUCT_CATEGORIES:
        errors.append(FieldError("category", f"“{data.category[:20]}”不是产品类别", row))
    if len(data.description) > 4000:
        errors.append(FieldError("description", "产品介绍不能超过4000个字", row))
    if len(data.certifications) > 300 or len(data.brand) > 100:
        errors.append(FieldError("certifications", "认证或品牌过长", row))
    for platform, url in data.links or []:
        if platform not in PLATFORMS:
            errors.append(FieldError("links", f"“{platform[:20]}”不是支持的平台", row))
        try:
            _check_url(url, row)
        except ValidationFailed as exc:
            errors.extend(exc.fields)
    return errors


def _brand_id(session: Session, org_id: int, name: str) -> int | None:
    if not name.strip():
        return None
    brand = session.scalar(select(Brand).where(Brand.org_id == org_id, Brand.name == name.strip()))
    if brand is None:
        brand = Brand(org_id=org_id, name=name.strip()[:100])
        session.add(brand)
        session.flush()
    return brand.id


def create_product(session: Session, actor: Actor, data: ProductInput, *, org_id: int | None = None,
                   image_id: int | None = None, audited: bool = True) -> Product:
    """An enterprise adds its own product; the center (city scope) may add one for any enterprise."""
    owner = org_id if org_id is not None and actor.scope == "city" else actor.org_id
    if owner is None:
        raise Forbidden("只有企业用户可以发布产品")
    org = get_organisation_unscoped(session, owner)
    if org is None:
        raise ValidationFailed("企业不存在", [FieldError("org", "企业不存在")])
    errors = check_product(data)
    if errors:
        raise ValidationFailed("产品信息有误，未保存", errors)
    product = Product(org_id=org.id, brand_id=_brand_id(session, org.id, data.brand), name=data.name.strip(),
                      category=data.category, division_code=org.division_code, description=data.description.strip(),
                      certifications=data.certifications.strip(), image_id=image_id,
                      search_tokens=search_tokens(data.name, data.description, data.brand, data.certifications))
    session.add(product)
    session.flush()
    for platform, url in data.links or []:
        session.add(ShopLink(product_id=product.id, platform=platform, url=url.strip()))
    if audited:  # an import writes one record for the whole file instead
        audit.record(session, actor, "marketplace.product.create", object_type="product", object_id=product.id,
                     after={"name": product.name, "category": product.category, "org_id": org.id,
                            "links": [u for _, u in data.links or []], "image_id": image_id})
    return product


@dataclass
class ProductFilter:
    q: str = ""
    county: str = ""
    category: str = ""
    page: int = 1
    per_page: int = 24


def _token_condition(session: Session, grams: list[str]) -> ColumnElement[bool] | TextClause:
    if session.get_bind().dialect.name == "postgresql":
        # Uses the GIN index on string_to_array(btrim(search_tokens), ' ') (migration 0005).
        return text("string_to_array(btrim(mp_products.search_tokens), ' ') @> CAST(:grams AS text[])").bindparams(
            grams=grams)
    return and_(*(Product.search_tokens.contains(f" {g} ") for g in grams))


def _filtered(session: Session, f: ProductFilter) -> Select[Any]:
    stmt = select(Product).where(Product.is_published.is_(True))
    grams = query_grams(f.q[:50])
    if grams:
        stmt = stmt.where(_token_condition(session, grams[:12]))
    if f.county:
        stmt = stmt.where(Product.division_code == f.county)
    if f.category:
        stmt = stmt.where(Product.category == f.category)
    return stmt


def search_products(session: Session, f: ProductFilter) -> tuple[list[Product], int]:
    stmt = _filtered(session, f)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    per_page = max(1, min(f.per_page, 100))
    page = max(1, min(f.page, 10_000))
    items = session.scalars(stmt.order_by(Product.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return list(items), total


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or not product.is_published:
        raise NotFound("产品不存在")
    return product


def links_of(session: Session, product_id: int) -> list[ShopLink]:
    return list(session.scalars(select(ShopLink).where(ShopLink.product_id == product_id).order_by(ShopLink.id)))


def brand_name(session: Session, brand_id: int | None) -> str:
    brand = session.get(Brand, brand_id) if brand_id else None
    return brand.name if brand else ""


def unpublish_product(session: Session, actor: Actor, product_id: int) -> Product:
    """The enterprise takes one of its products off the showcase (the row and its click records stay)."""
    product = session.get(Product, product_id)
    if product is None or product.org_id != actor.org_id:
        raise NotFound("产品不存在")
    if product.is_published:
        product.is_published = False
        session.flush()
        audit.record(session, actor, "marketplace.product.unpublish", object_type="product", object_id=product.id,
                     before={"published": True}, after={"published": False})
    return product


def follow_link(session: Session, link_id: int) -> str:
    """Count a click out to a shop and return where to send the visitor. Clicks are traffic figures, not
    changes to anyone's records: they are counted, not audited (docs/decisions.md)."""
    link = session.get(ShopLink, link_id)
    product = session.get(Product, link.product_id) if link else None
    if link is None or product is None or not product.is_published:
        raise NotFound("链接不存在")
    session.add(LinkClick(link_id=link.id, product_id=product.id, org_id=product.org_id))
    return link.url


def traffic_of(session: Session, actor: Actor) -> list[tuple[Product, int]]:
    """The actor's enterprise's products with the clicks out each received."""
    if actor.org_id is None:
        return []
    clicks = (select(LinkClick.product_id, func.count().label("n")).where(LinkClick.org_id == actor.org_id)
              .group_by(LinkClick.product_id).subquery())
    stmt = (select(Product, func.coalesce(clicks.c.n, 0)).outerjoin(clicks, clicks.c.product_id == Product.id)
            .where(Product.org_id == actor.org_id).order_by(Product.id.desc()))
    return [(p, int(n)) for p, n in session.execute(stmt).tuples()]


@dataclass
class EnterprisePage:
    org_id: int
    name: str
    division_code: str
    brands: list[Brand]
    products: list[Product]


def enterprise_page(session: Session, org_id: int) -> EnterprisePage:
    """A local enterprise's public page: its brands and published products (only enterprises that show any)."""
    products = list(session.scalars(select(Product).where(Product.org_id == org_id, Product.is_published.is_(True))
                                    .order_by(Product.id.desc()).limit(200)))
    org = get_organisation_unscoped(session, org_id)
    if not products or org is None:
        raise NotFound("企业不存在或尚未在丽水专区展示产品")
    brands = list(session.scalars(select(Brand).where(Brand.org_id == org_id).order_by(Brand.id)))
    return EnterprisePage(org.id, org.name, org.division_code, brands, products)


# ---------------------------------------------------------------- collections

def create_collection(session: Session, actor: Actor, *, title: str, description: str = "",
                      product_ids: list[int]) -> Collection:
    errors = []
    if not title.strip() or len(title) > 200:
        errors.append(FieldError("title", "请填写专题名称（200字以内）"))
    found = set(session.scalars(select(Product.id).where(Product.id.in_(product_ids),
                                                         Product.is_published.is_(True))))
    missing = [p for p in product_ids if p not in found]
    if missing:
        errors.append(FieldError("product_ids", f"产品编号 {missing[0]} 不存在"))
    if not product_ids:
        errors.append(FieldError("product_ids", "专题至少包含一个产品"))
    if errors:
        raise ValidationFailed("专题信息有误，未保存", errors)
    collection = Collection(title=title.strip(), description=description.strip()[:2000])
    session.add(collection)
    session.flush()
    for position, pid in enumerate(dict.fromkeys(product_ids)):
        session.add(CollectionItem(collection_id=collection.id, product_id=pid, position=position))
    audit.record(session, actor, "marketplace.collection.create", object_type="collection", object_id=collection.id,
                 after={"title": collection.title, "products": product_ids})
    return collection


def featured_collections(session: Session, limit: int = 6) -> list[Collection]:
    return list(session.scalars(select(Collection).where(Collection.is_featured.is_(True))
                                .order_by(Collection.id.desc()).limit(limit)))


def get_collection(session: Session, collection_id: int) -> tuple[Collection, list[Product]]:
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound("专题不存在")
    products = list(session.scalars(select(Product).join(CollectionItem, CollectionItem.product_id == Product.id)
                                    .where(CollectionItem.collection_id == collection.id,
                                           Product.is_published.is_(True)).order_by(CollectionItem.position)))
    return collection, products


def county_name(code: str) -> str:
    return JURISDICTIONS.get(code, code)
