"""A private bucket whose policy, encryption and logging are built from other resources' outputs."""
import json

import pulumi
import pulumi_aws as aws

key = aws.kms.Key("data-key", description="bucket key", enable_key_rotation=True, deletion_window_in_days=10)
alias = aws.kms.Alias("data-key-alias", name="alias/data", target_key_id=key.key_id)

logs = aws.s3.Bucket("access-logs", bucket="access-logs-lu",
                     tags={"data-classification": "technical", "luxguard:role": "access-logs"})
aws.s3.BucketPolicy("access-logs-policy", bucket=logs.id, policy=logs.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"{arn}/*",
         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}},
    ],
})))
aws.s3.BucketServerSideEncryptionConfiguration("access-logs-sse", bucket=logs.id, rules=[{
    "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}])
aws.s3.BucketVersioning("access-logs-versioning", bucket=logs.id, versioning_configuration={"status": "Enabled"})
aws.s3.BucketLifecycleConfiguration("access-logs-lifecycle", bucket=logs.id, rules=[{
    "id": "noncurrent", "status": "Enabled", "filter": {}, "noncurrent_version_expiration": {"noncurrent_days": 90}}])

bucket = aws.s3.Bucket("invoices", bucket="invoices-lu", tags={"data-classification": "billing"})
aws.s3.BucketServerSideEncryptionConfiguration("invoices-sse", bucket=bucket.id, rules=[{
    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
    "bucket_key_enabled": True}])
aws.s3.BucketVersioning("invoices-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"})
aws.s3.BucketLogging("invoices-logging", bucket=bucket.id, target_bucket=logs.bucket,
                     target_prefix=bucket.bucket.apply(lambda name: f"{name}/"))
aws.s3.BucketLifecycleConfiguration("invoices-lifecycle", bucket=bucket.id, rules=[
    {"id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": 3650}},
    {"id": "noncurrent", "status": "Enabled", "filter": {}, "noncurrent_version_expiration": {"noncurrent_days": 90}}])
aws.s3.BucketPolicy("invoices-policy", bucket=bucket.id, policy=pulumi.Output.all(bucket.arn, key.arn).apply(
    lambda args: json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [args[0], args[0] + "/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": args[0] + "/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        ],
    })))

pulumi.export("bucketArn", bucket.arn)
pulumi.export("objectsArn", bucket.arn.apply(lambda arn: arn + "/*"))
pulumi.export("domain", bucket.bucket_regional_domain_name)
pulumi.export("keyAlias", alias.arn)
