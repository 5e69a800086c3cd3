"""Building blocks for the per-rule test programs: each builds a fully compliant resource,
and one keyword argument breaks exactly one promise. Programs import it like any module."""

import json

import pulumi
import pulumi_aws as aws

ACCOUNT = "123456789012"
_providers = {}
_log_buckets = {}


def provider(region="lu-central-1"):
    if region not in _providers:
        _providers[region] = aws.Provider(f"aws-{region}", region=region)
    return _providers[region]


def opts(region="lu-central-1"):
    return pulumi.ResourceOptions(provider=provider(region))


def key(name="key", region="lu-central-1", rotation=True, public_policy=False, classification=None):
    principal = "*" if public_policy else {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Account", "Effect": "Allow", "Principal": principal, "Action": "kms:*", "Resource": "*"}]}
    return aws.kms.Key(name, enable_key_rotation=rotation, policy=json.dumps(policy), opts=opts(region),
                       **({"tags": {"data-classification": classification}} if classification else {}))


def log_bucket(name="logs-lu", region="lu-central-1"):
    """One per name: Pulumi refuses two resources with one URN (its mocks do not)."""
    if name in _log_buckets:
        return _log_buckets[name]
    bucket = aws.s3.Bucket(name, bucket=name, tags={"data-classification": "technical", "luxguard:role": "access-logs"},
                           opts=opts(region))
    _configure(bucket, name, region, sse="AES256", key_arn=None, logging_to=None, policy="log_target",
               lifecycle_days=None, noncurrent_days=90)
    _log_buckets[name] = bucket
    return bucket


def _configure(bucket, name, region, sse, key_arn, logging_to, policy, lifecycle_days, noncurrent_days,
               pab=True, versioning=True, ownership="BucketOwnerEnforced", object_lock_days=None):
    o = opts(region)
    if sse:
        default = {"sse_algorithm": sse}
        if key_arn is not None:
            default["kms_master_key_id"] = key_arn
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse", bucket=bucket.id, opts=o,
            rules=[{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": True}])
    # pab=False turns the block off explicitly: a new bucket has it on (AWS's default since 2023)
    aws.s3.BucketPublicAccessBlock(f"{name}-pab", bucket=bucket.id, block_public_acls=pab,
                                   ignore_public_acls=pab, block_public_policy=pab,
                                   restrict_public_buckets=pab, opts=o)
    statements = []
    if policy in ("secure", "tls_only", "public", "log_target", "foreign_account"):
        statements.append({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                           "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    if policy in ("secure", "public", "foreign_account"):
        statements.append({"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*",
                           "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/*",
                           "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}})
    if policy == "log_target":   # S3 server access log delivery, this account only
        statements.append({"Sid": "AllowS3ServerAccessLogs", "Effect": "Allow",
                           "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                           "Resource": f"arn:aws:s3:::{name}/*",
                           "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})
    if policy == "public":
        statements.append({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": f"arn:aws:s3:::{name}/*"})
    if policy == "foreign_account":   # another company's account may read
        statements.append({"Sid": "PartnerRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                           "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"})
    if statements:
        aws.s3.BucketPolicy(f"{name}-policy", bucket=bucket.id, opts=o,
                            policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    if versioning:
        aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket.id, opts=o,
                                versioning_configuration={"status": "Enabled"})
    if logging_to:
        aws.s3.BucketLogging(f"{name}-logging", bucket=bucket.id, target_bucket=logging_to,
                             target_prefix=f"{name}/", opts=o)
    if ownership:
        aws.s3.BucketOwnershipControls(f"{name}-ownership", bucket=bucket.id, opts=o,
                                       rule={"object_ownership": ownership})
    rules = []
    if lifecycle_days:
        rules.append({"id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": lifecycle_days}})
    if noncurrent_days:
        rules.append({"id": "noncurrent", "status": "Enabled", "filter": {},
                      "noncurrent_version_expiration": {"noncurrent_days": noncurrent_days}})
    if rules:
        aws.s3.BucketLifecycleConfiguration(f"{name}-lifecycle", bucket=bucket.id, rules=rules, opts=o)
    if object_lock_days:
        aws.s3.BucketObjectLockConfiguration(f"{name}-lock", bucket=bucket.id, opts=o,
                                             rule={"default_retention": {"mode": "COMPLIANCE", "days": object_lock_days}})


def bucket(name="data-lu", region="lu-central-1", classification="contact", sse="aws:kms", key_region="lu-central-1",
           aws_managed_key=False, pab=True, policy="secure", acl=None, versioning=True, logging=True,
           log_region="lu-central-1", lifecycle_days=365, noncurrent_days=90, object_lock_days=None,
           replicate_to=None, ownership="BucketOwnerEnforced"):
    """A compliant bucket by default; each keyword breaks one thing."""
    kms_key = None if aws_managed_key or sse != "aws:kms" else key(f"{name}-key", region=key_region)
    bucket_args = {"bucket": name, "tags": {"data-classification": classification} if classification else {}}
    if object_lock_days:
        bucket_args["object_lock_enabled"] = True
    b = aws.s3.Bucket(name, opts=opts(region), **bucket_args)
    logs = log_bucket(f"logs-{log_region}", log_region) if logging else None
    _configure(b, name, region, sse=sse, key_arn=kms_key.arn if kms_key else None,
               logging_to=logs.id if logs else None, policy=policy, lifecycle_days=lifecycle_days,
               noncurrent_days=noncurrent_days, pab=pab, versioning=versioning, ownership=ownership,
               object_lock_days=object_lock_days)
    if acl:
        aws.s3.BucketAcl(f"{name}-acl", bucket=b.id, acl=acl, opts=opts(region))
    if replicate_to:
        target = bucket(f"{name}-replica", region=replicate_to, classification=classification,
                        key_region=replicate_to, log_region=replicate_to)
        aws.s3.BucketReplicationConfig(f"{name}-replication", bucket=b.id, role=f"arn:aws:iam::{ACCOUNT}:role/repl",
                                       rules=[{"id": "all", "status": "Enabled",
                                               "destination": {"bucket": target.arn}}], opts=opts(region))
    return b


def security_group(name="app", ingress=None, region="lu-central-1", default=False):
    ingress = ingress if ingress is not None else [
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]},
        {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": ["10.0.0.0/16"]},
    ]
    if default:
        return aws.ec2.DefaultSecurityGroup(name, vpc_id="vpc-1", ingress=ingress, egress=[], opts=opts(region))
    return aws.ec2.SecurityGroup(name, name=name, ingress=ingress, egress=[], opts=opts(region))


def volume(name="vol", region="lu-central-1", encrypted=True, cmk=True, key_region="lu-central-1",
           classification="billing"):
    kms_key = key(f"{name}-key", region=key_region) if encrypted and cmk else None
    return aws.ebs.Volume(name, availability_zone=f"{region}a", size=10, encrypted=encrypted,
                          kms_key_id=kms_key.arn if kms_key else None,
                          tags={"data-classification": classification} if classification else {}, opts=opts(region))


def snapshot(name="snap", region="lu-central-1", encrypted=True, public=False, shared_with=None):
    vol = volume(f"{name}-vol", region=region, encrypted=encrypted)
    snap = aws.ebs.Snapshot(name, volume_id=vol.id, tags={"data-classification": "billing"}, opts=opts(region))
    if public:
        aws.ec2.SnapshotCreateVolumePermission(f"{name}-public", snapshot_id=snap.id, account_id="all", opts=opts(region))
    if shared_with:
        aws.ec2.SnapshotCreateVolumePermission(f"{name}-shared", snapshot_id=snap.id, account_id=shared_with,
                                               opts=opts(region))
    return snap


def database(name="db", region="lu-central-1", encrypted=True, public=False, key_region="lu-central-1",
             replica_region=None):
    """An RDS instance; replica_region adds a read replica there (encrypted with a key of its region)."""
    kms_key = key(f"{name}-key", region=key_region) if encrypted else None
    db = aws.rds.Instance(name, identifier=name, engine="postgres", instance_class="db.t3.micro",
                          allocated_storage=20, username="app", manage_master_user_password=True,
                          storage_encrypted=encrypted, kms_key_id=kms_key.arn if kms_key else None,
                          publicly_accessible=public, tags={"data-classification": "contact"}, opts=opts(region))
    if replica_region:
        replica_key = key(f"{name}-replica-key", region=replica_region) if encrypted else None
        aws.rds.Instance(f"{name}-replica", identifier=f"{name}-replica", replicate_source_db=db.arn,
                         instance_class="db.t3.micro", storage_encrypted=encrypted,
                         kms_key_id=replica_key.arn if replica_key else None,
                         tags={"data-classification": "contact"}, opts=opts(replica_region))
    return db


def db_cluster(name="crm", region="lu-central-1", encrypted=True, cmk=True, replica_region=None, global_regions=()):
    """An Aurora PostgreSQL cluster; replica_region adds a cross-region read-replica cluster,
    global_regions makes it the primary of a global cluster with a secondary in each."""
    kms_key = key(f"{name}-key", region=region) if encrypted and cmk else None
    global_cluster = aws.rds.GlobalCluster(f"{name}-global", global_cluster_identifier=f"{name}-global",
                                           engine="aurora-postgresql", storage_encrypted=encrypted,
                                           opts=opts(region)) if global_regions else None
    cluster = aws.rds.Cluster(name, cluster_identifier=name, engine="aurora-postgresql", master_username="app",
                              manage_master_user_password=True, storage_encrypted=encrypted,
                              kms_key_id=kms_key.arn if kms_key else None,
                              global_cluster_identifier=global_cluster.id if global_cluster else None,
                              tags={"data-classification": "contact"}, opts=opts(region))
    copies = [(f"{name}-replica", replica_region, {"replication_source_identifier": cluster.arn})] if replica_region else []
    copies += [(f"{name}-{r}", r, {"global_cluster_identifier": global_cluster.id}) for r in global_regions]
    for copy_name, copy_region, link in copies:
        copy_key = key(f"{copy_name}-key", region=copy_region) if encrypted and cmk else None
        aws.rds.Cluster(copy_name, cluster_identifier=copy_name, engine="aurora-postgresql", storage_encrypted=encrypted,
                        kms_key_id=copy_key.arn if copy_key else None, tags={"data-classification": "contact"},
                        opts=pulumi.ResourceOptions(provider=provider(copy_region), depends_on=[cluster]), **link)
    return cluster


def warehouse(name="dw", region="lu-central-1", encrypted=True, cmk=True, public=False, copy_region=None):
    """A Redshift cluster; copy_region copies its snapshots there (aws.redshift.SnapshotCopy)."""
    kms_key = key(f"{name}-key", region=region) if encrypted and cmk else None
    cluster = aws.redshift.Cluster(name, cluster_identifier=name, node_type="dc2.large", master_username="app",
                                   manage_master_password=True, encrypted=encrypted,
                                   kms_key_id=kms_key.arn if kms_key else None, publicly_accessible=public,
                                   skip_final_snapshot=True, tags={"data-classification": "billing"}, opts=opts(region))
    if copy_region:
        aws.redshift.SnapshotCopy(f"{name}-copy", cluster_identifier=cluster.id, destination_region=copy_region,
                                  retention_period=7, opts=opts(region))
    return cluster


def search_domain(name="search", region="lu-central-1", encrypted=True, cmk=True, node_to_node=True, https=True,
                  policy=None, classification="contact"):
    """An OpenSearch domain; policy (own_account, foreign_account, or an account id): an
    `aws.opensearch.DomainPolicy` letting that account search it."""
    kms_key = key(f"{name}-key", region=region) if encrypted and cmk else None
    domain = aws.opensearch.Domain(
        name, domain_name=name, encrypt_at_rest={"enabled": encrypted, "kms_key_id": kms_key.arn if kms_key else None},
        node_to_node_encryption={"enabled": node_to_node}, domain_endpoint_options={"enforce_https": https},
        tags=_classified(classification), opts=opts(region))
    if policy:
        principal = f"arn:aws:iam::{RESOURCE_POLICY_PRINCIPALS.get(policy, policy)}:root"
        document = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Search", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": ["es:ESHttpGet", "es:ESHttpPost"],
             "Resource": f"arn:aws:es:{region}:{ACCOUNT}:domain/{name}/*"}]})
        aws.opensearch.DomainPolicy(f"{name}-policy", domain_name=domain.domain_name, access_policies=document,
                                    opts=opts(region))
    return domain


def cache(name="sessions", region="lu-central-1", encrypted=True, cmk=True, transit=True, classification="contact"):
    """A Redis replication group (one primary, one replica)."""
    kms_key = key(f"{name}-key", region=region) if encrypted and cmk else None
    return aws.elasticache.ReplicationGroup(
        name, replication_group_id=name, description=f"{name} cache", engine="redis", node_type="cache.t3.micro",
        num_cache_clusters=2, at_rest_encryption_enabled=encrypted, kms_key_id=kms_key.arn if kms_key else None,
        transit_encryption_enabled=transit, tags=_classified(classification), opts=opts(region))


def peering(name="lux-peering", region="lu-central-1", peer_region=None, peer_account=None, classification="contact"):
    """A VPC peered with a second VPC of the stack (in peer_region), or with another account's VPC;
    tagged with the categories of data that cross it (so that approvals can cover it)."""
    own = aws.ec2.Vpc(f"{name}-vpc", cidr_block="10.10.0.0/16", tags={"Name": f"{name}-vpc"}, opts=opts(region))
    if peer_account:
        peer_vpc = "vpc-0a1b2c3d4e5f60718"   # theirs: not declared here
    else:
        peer_vpc = aws.ec2.Vpc(f"{name}-peer-vpc", cidr_block="10.20.0.0/16", tags={"Name": f"{name}-peer-vpc"},
                               opts=opts(peer_region or region)).id
    return aws.ec2.VpcPeeringConnection(name, vpc_id=own.id, peer_vpc_id=peer_vpc, peer_region=peer_region,
                                        peer_owner_id=peer_account, tags={"Name": name, **_classified(classification)},
                                        opts=opts(region))


def launch_template(name="web", region="lu-central-1", encrypted=True, cmk=True, classification="contact"):
    """A launch template whose root EBS volume requests encryption (or not) under its own key."""
    kms_key = key(f"{name}-key", region=region) if encrypted and cmk else None
    ebs = {"volume_size": 20, "encrypted": "true" if encrypted else "false",
           **({"kms_key_id": kms_key.arn} if kms_key else {})}
    return aws.ec2.LaunchTemplate(name, name=name, block_device_mappings=[{"device_name": "/dev/xvda", "ebs": ebs}],
                                  tags=_classified(classification), opts=opts(region))


def instance(name="app", region="lu-central-1", encrypted=True, cmk=True, data_volume=True, classification="contact"):
    """An instance of the AMI a data source finds, its root (and a data) volume encrypted, or not,
    under its own key."""
    ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"], filters=[{"name": "name", "values": ["al2023-ami-*"]}],
                          opts=pulumi.InvokeOptions(provider=provider(region)))
    kms_key = key(f"{name}-key", region=region) if encrypted and cmk else None
    device = {"encrypted": encrypted, "volume_size": 20, **({"kms_key_id": kms_key.arn} if kms_key else {})}
    return aws.ec2.Instance(name, ami=ami.id, instance_type="t3.micro", root_block_device=device,
                            ebs_block_devices=[{"device_name": "/dev/sdb", **device}] if data_volume else [],
                            tags={"Name": name, **_classified(classification)}, opts=opts(region))


def container_cluster(name="apps", region="lu-central-1", cmk=True, key_region="lu-central-1"):
    """An ECS cluster whose Fargate tasks' ephemeral storage is under its own key (or AWS's)."""
    kms_key = key(f"{name}-key", region=key_region) if cmk else None
    return aws.ecs.Cluster(name, name=name, settings=[{"name": "containerInsights", "value": "enabled"}],
                           configuration={"managed_storage_configuration": {
                               "fargate_ephemeral_storage_kms_key_id": kms_key.arn}} if kms_key else None,
                           tags={"Team": "platform"}, opts=opts(region))


def vault(name="lux-archive", region="lu-central-1"):
    """An S3 Glacier vault (archives of exports and backups)."""
    return aws.glacier.Vault(name, name=name, tags={"data-classification": "billing"}, opts=opts(region))


PRIVATE = object()   # kubernetes(public_cidrs=PRIVATE): no public endpoint at all


def kubernetes(name="k8s", region="lu-central-1", secrets_encrypted=True, public_cidrs=PRIVATE):
    """An EKS cluster whose secrets are encrypted (or not) under its own key; its API private, or
    public to `public_cidrs` (None: EKS's default, the whole internet)."""
    kms_key = key(f"{name}-key", region=region) if secrets_encrypted else None
    vpc = {"subnet_ids": ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"]}
    if public_cidrs is PRIVATE:
        vpc.update(endpoint_public_access=False, endpoint_private_access=True)
    elif public_cidrs is not None:
        vpc.update(endpoint_public_access=True, public_access_cidrs=list(public_cidrs))
    return aws.eks.Cluster(name, name=name, role_arn=f"arn:aws:iam::{ACCOUNT}:role/eks-cluster", vpc_config=vpc,
                           encryption_config={"resources": ["secrets"], "provider": {"key_arn": kms_key.arn}}
                           if kms_key else None, tags={"Team": "platform"}, opts=opts(region))


def gateway_peering(name="lux-transit", region="lu-central-1", peer_region="lu-central-1", peer_account=None,
                    classification="contact"):
    """A transit gateway peered with a second gateway of the stack (in peer_region), or with another
    account's gateway; tagged with the categories of data that cross it (so that approvals can cover it)."""
    own = aws.ec2transitgateway.TransitGateway(f"{name}-tgw", description=f"{name} hub", tags={"Name": f"{name}-tgw"},
                                               opts=opts(region))
    if peer_account:
        peer_gateway = "tgw-0a1b2c3d4e5f60718"   # theirs: not declared here
    else:
        peer_gateway = aws.ec2transitgateway.TransitGateway(f"{name}-peer-tgw", description=f"{name} peer",
                                                            tags={"Name": f"{name}-peer-tgw"}, opts=opts(peer_region)).id
    return aws.ec2transitgateway.PeeringAttachment(name, transit_gateway_id=own.id, peer_transit_gateway_id=peer_gateway,
                                                   peer_region=peer_region, peer_account_id=peer_account,
                                                   tags={"Name": name, **_classified(classification)}, opts=opts(region))


def distribution(name="cdn", bucket=None, website=None, viewer="redirect-to-https", origin_protocol="https-only",
                 classification=None, enabled=True, region="lu-central-1"):
    """A CloudFront distribution in front of a bucket (a Bucket of the stack, or a bucket's name) or
    of a website (a host name, as a custom origin); tagged with the categories of data it serves."""
    if bucket is not None:
        domain = bucket.bucket_regional_domain_name if isinstance(bucket, aws.s3.Bucket) else \
            f"{bucket}.s3.{region}.amazonaws.com"
        origin = {"origin_id": "store", "domain_name": domain, "s3_origin_config": {"origin_access_identity": ""}}
    else:
        origin = {"origin_id": "store", "domain_name": website or "www.luxcloud.example",
                  "custom_origin_config": {"http_port": 80, "https_port": 443, "origin_protocol_policy": origin_protocol,
                                           "origin_ssl_protocols": ["TLSv1.2"]}}
    return aws.cloudfront.Distribution(
        name, enabled=enabled, origins=[origin], price_class="PriceClass_100",
        default_cache_behavior={"target_origin_id": "store", "viewer_protocol_policy": viewer,
                                "allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"],
                                "forwarded_values": {"query_string": False, "cookies": {"forward": "none"}}},
        restrictions={"geo_restriction": {"restriction_type": "whitelist", "locations": ["LU"]}},
        viewer_certificate={"cloudfront_default_certificate": True},
        tags={"Name": name, **_classified(classification)}, opts=opts(region))


def cluster_snapshot(name="crm-nightly", region="lu-central-1", encrypted=True, public=False, shared_with=None):
    """A manual snapshot of its own Aurora cluster; shared with `all` (public) and/or an account."""
    cluster = db_cluster(f"{name}-db", region=region, encrypted=encrypted)
    accounts = (["all"] if public else []) + ([shared_with] if shared_with else [])
    return aws.rds.ClusterSnapshot(name, db_cluster_identifier=cluster.cluster_identifier,
                                   db_cluster_snapshot_identifier=name, shared_accounts=accounts or None,
                                   tags={"data-classification": "contact"}, opts=opts(region))


def table(name="orders", region="lu-central-1", cmk=True, replicas=(), key_region="lu-central-1"):
    kms_key = key(f"{name}-key", region=key_region) if cmk else None
    sse = {"enabled": True, "kms_key_arn": kms_key.arn} if kms_key else None
    return aws.dynamodb.Table(name, name=name, hash_key="id", attributes=[{"name": "id", "type": "S"}],
                              billing_mode="PAY_PER_REQUEST", server_side_encryption=sse,
                              replicas=[{"region_name": r} for r in replicas],
                              tags={"data-classification": "billing"}, opts=opts(region))


def trail(name="audit", region="lu-central-1", multi_region=True, validation=True, bucket_region="lu-central-1"):
    logs = log_bucket(f"trail-logs-{bucket_region}", bucket_region)
    return aws.cloudtrail.Trail(name, name=name, s3_bucket_name=logs.id, is_multi_region_trail=multi_region,
                                enable_log_file_validation=validation, opts=opts(region))


def ebs_default(region="lu-central-1", enabled=True):
    return aws.ebs.EncryptionByDefault(f"ebs-default-{region}", enabled=enabled, opts=opts(region))


# --- queues, topics, log groups, secrets, parameters, streams: personal data in motion and at rest

def _store_key(name, cmk, key_region):
    """A customer-managed key for the store (None: the service's AWS-managed key)."""
    return key(f"{name}-key", region=key_region) if cmk else None


def _classified(classification):
    return {"data-classification": classification} if classification else {}


# Who a queue, topic or secret policy lets in: the store's own account, or another company's.
RESOURCE_POLICY_PRINCIPALS = {"own_account": ACCOUNT, "foreign_account": "999999999999"}
RESOURCE_POLICY_ACTIONS = {"sqs": ["sqs:SendMessage", "sqs:ReceiveMessage"], "sns": ["sns:Publish", "sns:Subscribe"],
                           "secretsmanager": ["secretsmanager:GetSecretValue"],
                           "ecr": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}


def resource_policy(service, arn, policy):
    """A resource policy (JSON) letting `policy`'s account (own_account, foreign_account, or an
    account id) call `service`."""
    principal = f"arn:aws:iam::{RESOURCE_POLICY_PRINCIPALS.get(policy, policy)}:root"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Access", "Effect": "Allow", "Principal": {"AWS": principal},
         "Action": RESOURCE_POLICY_ACTIONS[service], "Resource": arn}]})


def queue(name="orders-queue", region="lu-central-1", cmk=True, key_region="lu-central-1", classification="contact",
          policy=None, inline_policy=False):
    """policy (own_account, foreign_account): a queue policy, as `aws.sqs.QueuePolicy` or, with
    inline_policy, the queue's own `policy` argument."""
    kms_key = _store_key(name, cmk, key_region)
    document = resource_policy("sqs", f"arn:aws:sqs:{region}:{ACCOUNT}:{name}", policy) if policy else None
    q = aws.sqs.Queue(name, name=name, kms_master_key_id=kms_key.arn if kms_key else None,
                      policy=document if inline_policy else None, tags=_classified(classification), opts=opts(region))
    if document and not inline_policy:
        aws.sqs.QueuePolicy(f"{name}-policy", queue_url=q.id, policy=document, opts=opts(region))
    return q


def topic(name="order-events", region="lu-central-1", cmk=True, key_region="lu-central-1", classification="contact",
          policy=None, inline_policy=False):
    """policy: a topic policy, as `aws.sns.TopicPolicy` (naming the topic by ARN) or inline."""
    kms_key = _store_key(name, cmk, key_region)
    document = resource_policy("sns", f"arn:aws:sns:{region}:{ACCOUNT}:{name}", policy) if policy else None
    t = aws.sns.Topic(name, name=name, kms_master_key_id=kms_key.arn if kms_key else None,
                      policy=document if inline_policy else None, tags=_classified(classification), opts=opts(region))
    if document and not inline_policy:
        aws.sns.TopicPolicy(f"{name}-policy", arn=t.arn, policy=document, opts=opts(region))
    return t


CENTRAL_LOGGING = "222222222222"   # the organisation's central logging account


def log_group(name="app-logs", region="lu-central-1", cmk=True, key_region="lu-central-1", retention_days=30,
              classification="technical", ship_to=None):
    """ship_to: a region whose central logging destination (a Logs destination of the central
    logging account, named by ARN as that account hands it out) gets every event through a
    subscription filter."""
    kms_key = _store_key(name, cmk, key_region)
    group = aws.cloudwatch.LogGroup(name, name=name, kms_key_id=kms_key.arn if kms_key else None,
                                    retention_in_days=retention_days, tags=_classified(classification),
                                    opts=opts(region))
    if ship_to:
        aws.cloudwatch.LogSubscriptionFilter(
            f"{name}-shipping", name=f"{name}-shipping", log_group=group.name, filter_pattern="",
            destination_arn=f"arn:aws:logs:{ship_to}:{CENTRAL_LOGGING}:destination:central-logs", opts=opts(region))
    return group


def secret(name="billing-api-credentials", region="lu-central-1", cmk=True, key_region="lu-central-1", replicas=(),
           classification="billing", policy=None):
    """policy: a resource policy, as `aws.secretsmanager.SecretPolicy` (naming the secret by ARN)."""
    kms_key = _store_key(name, cmk, key_region)
    s = aws.secretsmanager.Secret(name, name=name, kms_key_id=kms_key.arn if kms_key else None,
                                  replicas=[{"region": r} for r in replicas],
                                  tags=_classified(classification), opts=opts(region))
    if policy:
        aws.secretsmanager.SecretPolicy(f"{name}-policy", secret_arn=s.arn, opts=opts(region),
                                        policy=resource_policy("secretsmanager", "*", policy))
    return s


def parameter(name="customer-export-token", region="lu-central-1", secure=True, cmk=True, key_region="lu-central-1",
              classification="contact"):
    kms_key = _store_key(name, cmk and secure, key_region)
    return aws.ssm.Parameter(name, name=f"/app/{name}", type="SecureString" if secure else "String", insecure_value="x",
                             key_id=kms_key.arn if kms_key else None, tags=_classified(classification),
                             opts=opts(region))


def stream(name="clickstream", region="lu-central-1", encrypted=True, cmk=True, key_region="lu-central-1",
           classification="technical"):
    kms_key = _store_key(name, cmk and encrypted, key_region)
    key_id = (kms_key.arn if kms_key else "alias/aws/kinesis") if encrypted else None
    return aws.kinesis.Stream(name, name=name, shard_count=1, encryption_type="KMS" if encrypted else "NONE",
                              kms_key_id=key_id, tags=_classified(classification), opts=opts(region))


FIREHOSE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/firehose-delivery"


def delivery_stream(name="clickstream-archive", region="lu-central-1", bucket_region="lu-central-1", endpoint=None,
                    encrypted=True, cmk=True, key_region="lu-central-1", source=None, classification="technical"):
    """A Firehose stream into a bucket of `bucket_region` (an archive bucket of the stack), or into
    a third party's HTTP `endpoint` with that bucket as its backup; fed directly or by `source`
    (a Kinesis Stream of the stack)."""
    archive = log_bucket(f"firehose-archive-{bucket_region}", bucket_region)
    s3 = {"role_arn": FIREHOSE_ROLE, "bucket_arn": archive.arn}
    destination = {"destination": "http_endpoint", "http_endpoint_configuration": {
        "url": endpoint, "name": "partner", "role_arn": FIREHOSE_ROLE, "s3_configuration": s3}} if endpoint else \
        {"destination": "extended_s3", "extended_s3_configuration": s3}
    kms_key = _store_key(name, cmk and encrypted and source is None, key_region)
    sse = {"enabled": True, "key_type": "CUSTOMER_MANAGED_CMK", "key_arn": kms_key.arn} if kms_key else \
        {"enabled": encrypted, "key_type": "AWS_OWNED_CMK"}
    fed = {"kinesis_source_configuration": {"kinesis_stream_arn": source.arn, "role_arn": FIREHOSE_ROLE}} \
        if source is not None else {"server_side_encryption": sse}
    return aws.kinesis.FirehoseDeliveryStream(name, name=name, tags=_classified(classification), opts=opts(region),
                                              **destination, **fed)


LAMBDA_ROLE = f"arn:aws:iam::{ACCOUNT}:role/orders-export-role"


def function(name="orders-export", region="lu-central-1", cmk=True, key_region="lu-central-1", environment=True,
             classification="contact", permission=None):
    """A function whose environment carries a database URL; permission (own_account, foreign_account,
    or an account id) adds an `aws.lambda_.Permission` letting that account invoke it."""
    kms_key = _store_key(name, cmk, key_region)
    fn = aws.lambda_.Function(
        name, name=name, role=LAMBDA_ROLE, runtime="python3.12", handler="index.handler",
        code=pulumi.AssetArchive({"index.py": pulumi.StringAsset("def handler(event, context):\n    return None\n")}),
        kms_key_arn=kms_key.arn if kms_key else None,
        environment={"variables": {"DATABASE_URL": "postgres://orders.internal/orders"}} if environment else None,
        tags=_classified(classification), opts=opts(region))
    if permission:
        aws.lambda_.Permission(f"{name}-invoke", function=fn.name, action="lambda:InvokeFunction",
                               principal=RESOURCE_POLICY_PRINCIPALS.get(permission, permission), opts=opts(region))
    return fn


def db_snapshot(name="db-nightly", region="lu-central-1", encrypted=True, public=False, shared_with=None):
    """A manual snapshot of its own database; shared with `all` (public) and/or an account."""
    db = database(f"{name}-db", region=region, encrypted=encrypted)
    accounts = (["all"] if public else []) + ([shared_with] if shared_with else [])
    return aws.rds.Snapshot(name, db_instance_identifier=db.identifier, db_snapshot_identifier=name,
                            shared_accounts=accounts or None, tags={"data-classification": "contact"},
                            opts=opts(region))


# IAM: a password policy meeting LUX-ACC-013, users, and identities that read data.
STRONG_PASSWORDS = dict(minimum_password_length=14, require_uppercase_characters=True,
                        require_lowercase_characters=True, require_numbers=True, require_symbols=True,
                        password_reuse_prevention=24, max_password_age=90)


def password_policy(**overrides):
    return aws.iam.AccountPasswordPolicy("password-policy", **{**STRONG_PASSWORDS, **overrides}, opts=opts())


def user(name="app-user", console=False, keys=0):
    """console: a login profile (a console password); keys: how many access keys."""
    created = aws.iam.User(name, name=name, opts=opts())
    if console:
        aws.iam.UserLoginProfile(f"{name}-login", user=created.name, opts=opts())
    for n in range(keys):
        aws.iam.AccessKey(f"{name}-key{n}", user=created.name, opts=opts())
    return created


def reader(name="analyst", kind="user", resource="*", actions=("s3:GetObject",), condition=None):
    """A user, role or group whose inline policy allows `actions` on `resource` (with `condition`)."""
    statement = {"Sid": "Read", "Effect": "Allow", "Action": list(actions), "Resource": resource}
    if condition:
        statement["Condition"] = condition
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    if kind == "role":
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                    "Principal": {"Service": "ec2.amazonaws.com"}}]})
        return aws.iam.Role(name, name=name, assume_role_policy=trust,
                            inline_policies=[{"name": "read", "policy": document}], opts=opts())
    if kind == "group":
        group = aws.iam.Group(name, name=name, opts=opts())
        aws.iam.GroupPolicy(f"{name}-read", group=group.name, name="read", policy=document, opts=opts())
        return group
    created = aws.iam.User(name, name=name, opts=opts())
    aws.iam.UserPolicy(f"{name}-read", user=created.name, name="read", policy=document, opts=opts())
    return created


def key_grant(name="key-grant", grantee="own_account", region="lu-central-1", operations=("Decrypt", "GenerateDataKey")):
    """A customer-managed key for contact data and a KMS grant letting a role of `grantee`'s account
    (own_account, foreign_account, or an account id) use it, whatever the key policy says."""
    k = key(f"{name}-key", region=region, classification="contact")
    principal = f"arn:aws:iam::{RESOURCE_POLICY_PRINCIPALS.get(grantee, grantee)}:role/processor"
    return aws.kms.Grant(name, name=name, key_id=k.key_id, grantee_principal=principal, operations=list(operations),
                         opts=opts(region))


def file_system(name="shared-home", region="lu-central-1", encrypted=True, cmk=True, key_region="lu-central-1",
                classification="contact", policy=None):
    """An EFS file system; policy (own_account, foreign_account, or an account id): a
    `aws.efs.FileSystemPolicy` letting that account mount and write it."""
    kms_key = _store_key(name, cmk and encrypted, key_region)
    fs = aws.efs.FileSystem(name, creation_token=name, encrypted=encrypted, kms_key_id=kms_key.arn if kms_key else None,
                            tags=_classified(classification), opts=opts(region))
    if policy:
        principal = f"arn:aws:iam::{RESOURCE_POLICY_PRINCIPALS.get(policy, policy)}:root"
        document = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Mount", "Effect": "Allow", "Principal": {"AWS": principal},
             "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], "Resource": "*"}]})
        aws.efs.FileSystemPolicy(f"{name}-policy", file_system_id=fs.id, policy=document, opts=opts(region))
    return fs


def image(name="app-image", region="lu-central-1", encrypted=True, cmk=True, public=False, shared_with=None,
          copy_to=None, classification="billing"):
    """An AMI registered from a snapshot of its own volume; launchable by `all` (public) and/or an
    account; copied (encrypted under a key of that region) to `copy_to`."""
    vol = volume(f"{name}-vol", region=region, encrypted=encrypted, cmk=cmk)
    snap = aws.ebs.Snapshot(f"{name}-snap", volume_id=vol.id, tags={"data-classification": classification},
                            opts=opts(region))
    ami = aws.ec2.Ami(name, name=name, root_device_name="/dev/xvda", virtualization_type="hvm",
                      ebs_block_devices=[{"device_name": "/dev/xvda", "snapshot_id": snap.id}],
                      tags={"data-classification": classification}, opts=opts(region))
    if public:
        aws.ec2.AmiLaunchPermission(f"{name}-public", image_id=ami.id, group="all", opts=opts(region))
    if shared_with:
        aws.ec2.AmiLaunchPermission(f"{name}-shared", image_id=ami.id, account_id=shared_with, opts=opts(region))
    if copy_to:
        copy_key = key(f"{name}-{copy_to}-key", region=copy_to)
        aws.ec2.AmiCopy(f"{name}-{copy_to}", name=f"{name}-{copy_to}", source_ami_id=ami.id, source_ami_region=region,
                        encrypted=True, kms_key_id=copy_key.arn, tags={"data-classification": classification},
                        opts=opts(copy_to))
    return ami


def repository(name="orders-images", region="lu-central-1", cmk=True, key_region="lu-central-1", encryption="KMS",
               classification="contact", policy=None):
    """An ECR repository; encryption KMS (with the customer-managed key unless cmk=False: then
    ECR's AWS-managed key) or AES256; policy (own_account, foreign_account, or an account id): an
    `aws.ecr.RepositoryPolicy` letting that account pull (CloudFormation: RepositoryPolicyText)."""
    kms_key = _store_key(name, cmk and encryption == "KMS", key_region)
    configuration = {"encryption_type": encryption, **({"kms_key": kms_key.arn} if kms_key else {})}
    repo = aws.ecr.Repository(name, name=name, encryption_configurations=[configuration],
                              tags=_classified(classification), opts=opts(region))
    if policy:
        document = json.loads(resource_policy("ecr", "*", policy))
        for statement in document["Statement"]:
            statement.pop("Resource")   # repository policies name no resource
        aws.ecr.RepositoryPolicy(f"{name}-policy", repository=repo.name, policy=json.dumps(document),
                                 opts=opts(region))
    return repo


def registry_replication(regions, prefixes=(), region="lu-central-1", name="registry-replication", registry=ACCOUNT):
    """The registry's replication in `region`: one rule copying the repositories whose name starts
    with one of `prefixes` (all of them when none) to `regions`, in the registry of account
    `registry` (the same account unless told: a copy in the same region needs another one)."""
    rule = {"destinations": [{"region": r, "registry_id": registry} for r in regions]}
    if prefixes:
        rule["repository_filters"] = [{"filter": p, "filter_type": "PREFIX_MATCH"} for p in prefixes]
    return aws.ecr.ReplicationConfiguration(name, replication_configuration={"rules": [rule]}, opts=opts(region))


def backup_vault(name="orders-vault", region="lu-central-1", cmk=True, key_region="lu-central-1",
                 classification="contact"):
    """An AWS Backup vault, on its own customer-managed key unless cmk=False (then AWS Backup's)."""
    kms_key = _store_key(name, cmk, key_region)
    return aws.backup.Vault(name, name=name, kms_key_arn=kms_key.arn if kms_key else None,
                            tags=_classified(classification), opts=opts(region))


def backup_plan(vault, name="orders-daily", region="lu-central-1", copy_to=(), classification="contact"):
    """A daily AWS Backup plan into `vault`, with one copy action per entry of `copy_to` (a
    vault resource, or a vault ARN: another account's); tagged with the categories it copies."""
    copies = [{"destination_vault_arn": c if isinstance(c, str) else c.arn} for c in copy_to]
    return aws.backup.Plan(name, name=name, rules=[{"rule_name": "daily", "target_vault_name": vault.name,
                                                    "schedule": "cron(0 3 * * ? *)", "copy_actions": copies}],
                           tags=_classified(classification), opts=opts(region))
