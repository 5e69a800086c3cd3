"""Data-source calls (invokes) answered as a preview would see them.

Every invoke gets its result type's fields as placeholders (pulumi_placeholders), with its
arguments echoed; the data sources public programs lean on get the values a program can
depend on: the stack's account and region, the region's zones, and an IAM policy document
rendered from its own arguments (so a bucket policy built with `get_policy_document` is read
like one written as JSON).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any, Callable

from luxguard.sources.pulumi_placeholders import Site, invoke_result

Refine = Callable[[dict[str, Any], Mapping[str, Any], Site], None]
REFINERS: dict[str, Refine] = {}


def refines(token: str) -> Callable[[Refine], Refine]:
    def register(fn: Refine) -> Refine:
        REFINERS[token] = fn
        return fn
    return register


def answer(token: str, args: Mapping[str, Any], site: Site) -> dict[str, Any]:
    result = invoke_result(token, site, args)
    refine = REFINERS.get(token)
    if refine is not None:
        refine(result, args, site)
    return result


@refines("aws:index/getCallerIdentity:getCallerIdentity")
def _caller_identity(result: dict, args: Mapping, site: Site) -> None:
    result.update(accountId=site.account, id=site.account, arn=f"arn:aws:iam::{site.account}:root")


@refines("aws:index/getRegion:getRegion")
def _region(result: dict, args: Mapping, site: Site) -> None:
    region = args.get("region") or args.get("name") or site.region
    result.update(name=region, region=region, id=region, endpoint=f"ec2.{region}.amazonaws.com",
                  description=region)


@refines("aws:index/getPartition:getPartition")
def _partition(result: dict, args: Mapping, site: Site) -> None:
    result.update(partition="aws", id="aws", dnsSuffix="amazonaws.com", reverseDnsPrefix="com.amazonaws")


@refines("aws:index/getAvailabilityZones:getAvailabilityZones")
def _zones(result: dict, args: Mapping, site: Site) -> None:
    letters = "abc"
    result.update(names=[f"{site.region}{x}" for x in letters], id=site.region, groupNames=[site.region],
                  zoneIds=[f"{site.region[:3]}{site.region.split('-')[-1]}-az{i + 1}" for i in range(len(letters))])


@refines("aws:index/getAvailabilityZone:getAvailabilityZone")
def _zone(result: dict, args: Mapping, site: Site) -> None:
    name = args.get("name") or f"{site.region}a"
    result.update(name=name, region=site.region, id=name, nameSuffix=name[-1:])


@refines("aws:ec2/getAmi:getAmi")
def _ami(result: dict, args: Mapping, site: Site) -> None:
    image = f"ami-{site.token('id')}"
    result.update(id=image, imageId=image)


@refines("aws:ec2/getVpc:getVpc")
def _vpc(result: dict, args: Mapping, site: Site) -> None:
    vpc = args.get("id") or f"vpc-{site.token('id')}"
    result.update(id=vpc, cidrBlock=args.get("cidrBlock") or "10.0.0.0/16", default=bool(args.get("default")))


@refines("aws:ec2/getSubnets:getSubnets")
def _subnets(result: dict, args: Mapping, site: Site) -> None:
    result.update(ids=[f"subnet-{site.token(f'ids[{i}]')}" for i in range(2)], id=site.region)


@refines("aws:ec2/getSubnet:getSubnet")
def _subnet(result: dict, args: Mapping, site: Site) -> None:
    result.update(id=args.get("id") or f"subnet-{site.token('id')}", availabilityZone=f"{site.region}a")


@refines("aws:ecr/getAuthorizationToken:getAuthorizationToken")
def _ecr_token(result: dict, args: Mapping, site: Site) -> None:
    result.update(userName="AWS", id=site.region,
                  proxyEndpoint=f"https://{site.account}.dkr.ecr.{site.region}.amazonaws.com")


@refines("aws:route53/getZone:getZone")
def _zone_lookup(result: dict, args: Mapping, site: Site) -> None:
    name = str(args.get("name") or "example.com").rstrip(".")
    zone = args.get("zoneId") or f"Z{site.token('zoneId').upper()}"
    result.update(name=name, zoneId=zone, id=zone,
                  nameServers=[f"ns-{i}.awsdns-{i}.net" for i in range(1, 5)])


@refines("aws:iam/getPolicyDocument:getPolicyDocument")
def _policy_document(result: dict, args: Mapping, site: Site) -> None:
    document = render_policy_document(args)
    result.update(json=json.dumps(document, indent=2), minifiedJson=json.dumps(document, separators=(",", ":")),
                  id=str(zlib.crc32(json.dumps(document, sort_keys=True).encode())))


def _one_or_many(values: Any) -> Any:
    values = list(values or [])
    return values[0] if len(values) == 1 else values


def _statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    """One `statements` entry of aws.iam.get_policy_document as IAM JSON (as the provider renders it)."""
    rendered: dict[str, Any] = {}
    if statement.get("sid"):
        rendered["Sid"] = statement["sid"]
    rendered["Effect"] = statement.get("effect") or "Allow"
    for key, field in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"),
                       ("notResources", "NotResource")):
        if statement.get(key):
            rendered[field] = _one_or_many(statement[key])
    for key, field in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        principals = statement.get(key) or []
        if not principals:
            continue
        if any(p.get("type") == "*" for p in principals):
            rendered[field] = "*"
            continue
        grouped: dict[str, list] = {}
        for principal in principals:
            grouped.setdefault(str(principal.get("type")), []).extend(principal.get("identifiers") or [])
        rendered[field] = {kind: _one_or_many(ids) for kind, ids in grouped.items()}
    conditions: dict[str, dict[str, Any]] = {}
    for condition in statement.get("conditions") or []:
        conditions.setdefault(str(condition.get("test")), {})[str(condition.get("variable"))] = \
            _one_or_many(condition.get("values"))
    if conditions:
        rendered["Condition"] = conditions
    return rendered


def _statements_of(text: Any) -> list[dict[str, Any]]:
    try:
        document = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return []
    statements = document.get("Statement") if isinstance(document, dict) else None
    return [statements] if isinstance(statements, dict) else [s for s in statements or [] if isinstance(s, dict)]


def _merge(base: list[dict], overrides: list[dict]) -> list[dict]:
    """Statements with a Sid replace earlier ones with the same Sid; others are appended."""
    merged = list(base)
    for statement in overrides:
        sid = statement.get("Sid")
        index = next((i for i, s in enumerate(merged) if sid and s.get("Sid") == sid), None)
        if index is None:
            merged.append(statement)
        else:
            merged[index] = statement
    return merged


def render_policy_document(args: Mapping[str, Any]) -> dict[str, Any]:
    statements: list[dict] = []
    for source in args.get("sourcePolicyDocuments") or []:
        statements = _merge(statements, _statements_of(source))
    statements = _merge(statements, [_statement(s) for s in args.get("statements") or []])
    for override in args.get("overridePolicyDocuments") or []:
        statements = _merge(statements, _statements_of(override))
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = statements
    return document
