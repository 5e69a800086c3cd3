"""AWS::CloudFront::Distribution: a content delivery network in front of an origin. Its edge
caches are worldwide (every price class includes edges outside Luxembourg, and a viewer
restriction to Luxembourg still serves Luxembourg viewers from edges abroad), so a distribution in
front of a store, or one tagged with the personal data it serves, moves that data abroad:
`delivery_regions` is the pseudo-region `cloudfront-edge`, which no country holds and an approval
names in `destinations.regions`.

`origin_stores` are the S3 buckets among its origins (by their S3 host names, as AWS and
pulumi's `bucketRegionalDomainName` spell them); `viewer_protocol_policies` and
`origin_protocol_policies` say whether the data crosses the network in the clear.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Optional

from luxguard.core.model import Resource
from luxguard.resources.base import (
    CloudFormationForm,
    CloudFormationType,
    Drift,
    LiveCollector,
    PulumiType,
    ResourceType,
    Tagging,
    TerraformForm,
)
from luxguard.resources.cloudformation_forms import tags
from luxguard.resources.planned import inputs, planned_resource, sandbox_tags

if TYPE_CHECKING:
    from luxguard.sources.pulumi_capture import CapturedResource

CFN_TYPE = "AWS::CloudFront::Distribution"
PULUMI_TYPE = "aws:cloudfront/distribution:Distribution"
EDGE = "cloudfront-edge"   # where a distribution's caches are: everywhere CloudFront has edges
# bucket.s3.amazonaws.com, bucket.s3.REGION.amazonaws.com, bucket.s3-REGION..., bucket.s3-website(-|.)REGION...
S3_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$")


def origin_bucket(domain: Any) -> Optional[str]:
    """The S3 bucket an origin host name names (None for any other origin)."""
    match = S3_HOST.match(str(domain or "").lower())
    return match.group("bucket") if match else None


def delivery(enabled: Any, origins: Iterable[tuple[Any, Optional[str]]], viewer_policies: Iterable[Any]) -> dict:
    """The model properties of a distribution from (origin host, custom origin protocol policy)
    pairs and its cache behaviours' viewer protocol policies; shared by every source."""
    origins = list(origins)
    return {"enabled": bool(enabled),
            "delivery_regions": [EDGE] if enabled else [],
            "origin_stores": sorted({b for b in (origin_bucket(host) for host, _ in origins) if b}),
            "viewer_protocol_policies": sorted({str(p) for p in viewer_policies if p}),
            "origin_protocol_policies": sorted({str(p) for _, p in origins if p})}


def _behaviours(default: Any, ordered: Any) -> list[Any]:
    return [b for b in [default, *(ordered or [])] if isinstance(b, dict)]


def convert(res: "CapturedResource", index: Any) -> Resource:
    """Global like IAM: the provider's region says where the API is called, not where data is."""
    resource = planned_resource(res, index, CFN_TYPE)
    resource.region = None
    resource.properties["region"] = None
    i = res.inputs
    origins = [(o.get("domainName"), (o.get("customOriginConfig") or {}).get("originProtocolPolicy"))
               for o in i.get("origins") or [] if isinstance(o, dict)]
    behaviours = _behaviours(i.get("defaultCacheBehavior"), i.get("orderedCacheBehaviors"))
    resource.properties.update(delivery(i.get("enabled"), origins, [b.get("viewerProtocolPolicy") for b in behaviours]))
    return resource


# --------------------------------------------------------------------------- live, enforcer

def read_tags(cloudfront: Any, distribution: Resource) -> dict[str, str]:
    items = cloudfront.list_tags_for_resource(Resource=distribution.arn).get("Tags", {}).get("Items") or []
    return {str(t["Key"]): str(t.get("Value", "")) for t in items}


def write_tags(distribution: Resource, current: dict[str, str], new: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "TagResource", {"Resource": distribution.arn, "Tags": {"Items": sandbox_tags({"tags": new})}}


# --------------------------------------------------------------------------- sandbox

def _items(values: list) -> dict[str, Any]:
    return {"Quantity": len(values), "Items": values} if values else {"Quantity": 0}


def _behaviour(b: dict, origin: str) -> dict[str, Any]:
    return {"TargetOriginId": str(b.get("targetOriginId") or origin),
            "ViewerProtocolPolicy": str(b.get("viewerProtocolPolicy") or "allow-all"),
            "MinTTL": 0, "TrustedSigners": {"Enabled": False, "Quantity": 0},
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}}


def _origin(o: dict, n: int) -> dict[str, Any]:
    origin = {"Id": str(o.get("originId") or f"origin-{n}"), "DomainName": str(o.get("domainName"))}
    custom = o.get("customOriginConfig")
    if isinstance(custom, dict):
        origin["CustomOriginConfig"] = {"HTTPPort": int(custom.get("httpPort") or 80),
                                        "HTTPSPort": int(custom.get("httpsPort") or 443),
                                        "OriginProtocolPolicy": str(custom.get("originProtocolPolicy") or "https-only")}
    else:
        origin["S3OriginConfig"] = {"OriginAccessIdentity": ""}
    return origin


def provision(provisioner: Any, res: "CapturedResource", values: dict, region: str) -> tuple[str, dict]:
    origins = [_origin(o, n) for n, o in enumerate(values.get("origins") or []) if isinstance(o, dict)]
    first = origins[0]["Id"] if origins else "origin-0"
    ordered = [{**_behaviour(b, first), "PathPattern": str(b.get("pathPattern") or "/*")}
               for b in values.get("orderedCacheBehaviors") or [] if isinstance(b, dict)]
    geo = ((values.get("restrictions") or {}).get("geoRestriction") or {})
    config = {"CallerReference": res.urn, "Comment": str(values.get("comment") or res.name),
              "Enabled": bool(values.get("enabled")), "PriceClass": str(values.get("priceClass") or "PriceClass_All"),
              "Origins": _items(origins), "DefaultCacheBehavior": _behaviour(values.get("defaultCacheBehavior") or {}, first),
              "CacheBehaviors": _items(ordered),
              "Restrictions": {"GeoRestriction": {"RestrictionType": str(geo.get("restrictionType") or "none"),
                                                  **_items([str(c) for c in geo.get("locations") or []])}}}
    created = provisioner.client("cloudfront", region).create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": config, "Tags": {"Items": sandbox_tags(values)}})["Distribution"]
    provisioner.exact[res.id] = created["Id"]
    return created["Id"], {"arn": created["ARN"], "domainName": created.get("DomainName")}


# --------------------------------------------------------------------------- CloudFormation

def _cfn_behaviour(b: Any) -> Any:
    return {"targetOriginId": b.get("TargetOriginId"), "viewerProtocolPolicy": b.get("ViewerProtocolPolicy"),
            "pathPattern": b.get("PathPattern")} if isinstance(b, dict) else b


def _cfn_origin(o: Any) -> Any:
    if not isinstance(o, dict):
        return o
    custom = o.get("CustomOriginConfig")
    return {"originId": o.get("Id"), "domainName": o.get("DomainName"),
            "customOriginConfig": {"originProtocolPolicy": custom.get("OriginProtocolPolicy"),
                                   "httpPort": custom.get("HTTPPort"), "httpsPort": custom.get("HTTPSPort")}
            if isinstance(custom, dict) else None}


def cfn_distribution(p: dict, context: Any) -> list[tuple[str, str, dict]]:
    c = p.get("DistributionConfig") or {}
    geo = ((c.get("Restrictions") or {}).get("GeoRestriction") or {}) if isinstance(c, dict) else {}
    return [(PULUMI_TYPE, "", {
        "enabled": c.get("Enabled"), "comment": c.get("Comment"), "priceClass": c.get("PriceClass"),
        "origins": [_cfn_origin(o) for o in c.get("Origins") or []],
        "defaultCacheBehavior": _cfn_behaviour(c.get("DefaultCacheBehavior")),
        "orderedCacheBehaviors": [_cfn_behaviour(b) for b in c.get("CacheBehaviors") or []],
        "restrictions": {"geoRestriction": {"restrictionType": geo.get("RestrictionType"),
                                            "locations": geo.get("Locations")}},
        "tags": tags(p)})]


DESCRIPTOR = ResourceType(
    cfn_type=CFN_TYPE,
    kind="CloudFront distribution",
    properties={"enabled": "bool", "delivery_regions": "list", "origin_stores": "list",
                "viewer_protocol_policies": "list", "origin_protocol_policies": "list"},
    pulumi=(PulumiType(PULUMI_TYPE, convert=convert, terraform="aws_cloudfront_distribution",
                       terraform_blocks={"origin": "origins", "ordered_cache_behavior": "orderedCacheBehaviors"},
                       inputs=inputs(enabled=("enabled", "delivery_regions"),
                                     origins=("origin_stores", "origin_protocol_policies"),
                                     defaultCacheBehavior=("viewer_protocol_policies",),
                                     orderedCacheBehaviors=("viewer_protocol_policies",)),
                       sandbox=provision, sandbox_rank=65),),
    arn=lambda region, account, identifier: f"arn:aws:cloudfront::{account}:distribution/{identifier}",
    live=LiveCollector("scanners.cloudfront", "collect_distributions", scope="global", listing="cloudfront"),
    drift=Drift(missing_category="access"),
    terraform=TerraformForm("aws_cloudfront_distribution"),
    cloudformation=CloudFormationForm(types=(CloudFormationType(CFN_TYPE, cfn_distribution),)),
    tagging=Tagging("cloudfront", read_tags, write_tags, by_arn=True),
)
