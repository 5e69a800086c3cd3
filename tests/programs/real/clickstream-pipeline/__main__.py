"""A team's clickstream pipeline, as the Firehose examples write it: a Kinesis stream archived to a
bucket through Firehose, logs shipped to Datadog's EU intake with failed records kept in the
archive, and events handed to a partner's bucket whose ARN comes from config (another account's:
its region is not in the program). The app's log group ships to Datadog through that stream (a
subscription filter naming the stream's ARN, an output), and the app runs on an ECS cluster left at
AWS's defaults."""
import pulumi
import pulumi_aws as aws

config = pulumi.Config()

clicks = aws.kinesis.Stream("clicks", shard_count=1, encryption_type="KMS", kms_key_id="alias/aws/kinesis",
                            stream_mode_details=aws.kinesis.StreamStreamModeDetailsArgs(stream_mode="PROVISIONED"),
                            tags={"data-classification": "technical"})
archive = aws.s3.BucketV2("archive", bucket="acme-clickstream-archive", tags={"data-classification": "technical"})

assume = aws.iam.get_policy_document(statements=[aws.iam.GetPolicyDocumentStatementArgs(
    effect="Allow", actions=["sts:AssumeRole"],
    principals=[aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=["firehose.amazonaws.com"])])])
firehose_role = aws.iam.Role("firehose-role", assume_role_policy=assume.json)

aws.kinesis.FirehoseDeliveryStream(
    "clicks-to-archive",
    destination="extended_s3",
    kinesis_source_configuration=aws.kinesis.FirehoseDeliveryStreamKinesisSourceConfigurationArgs(
        kinesis_stream_arn=clicks.arn, role_arn=firehose_role.arn),
    extended_s3_configuration=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs(
        role_arn=firehose_role.arn, bucket_arn=archive.arn, buffering_size=64, compression_format="GZIP"),
    tags={"data-classification": "technical"})

to_datadog = aws.kinesis.FirehoseDeliveryStream(
    "logs-to-datadog",
    destination="http_endpoint",
    http_endpoint_configuration=aws.kinesis.FirehoseDeliveryStreamHttpEndpointConfigurationArgs(
        url="https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input", name="Datadog",
        access_key=config.require_secret("datadogApiKey"), role_arn=firehose_role.arn, s3_backup_mode="FailedDataOnly",
        s3_configuration=aws.kinesis.FirehoseDeliveryStreamHttpEndpointConfigurationS3ConfigurationArgs(
            role_arn=firehose_role.arn, bucket_arn=archive.arn)),
    server_side_encryption=aws.kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs(enabled=True),
    tags={"data-classification": "technical"})

aws.kinesis.FirehoseDeliveryStream(
    "events-to-partner",
    destination="extended_s3",
    extended_s3_configuration=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs(
        role_arn=firehose_role.arn, bucket_arn=config.require("partnerBucketArn")),
    tags={"data-classification": "contact"})

app_logs = aws.cloudwatch.LogGroup("app-logs", name="/acme/clickstream/app", retention_in_days=30,
                                   tags={"data-classification": "technical"})
aws.cloudwatch.LogSubscriptionFilter("app-logs-to-datadog", log_group=app_logs.name, filter_pattern="",
                                     destination_arn=to_datadog.arn, role_arn=firehose_role.arn)

cluster = aws.ecs.Cluster("clickstream", settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")])
pulumi.export("clusterArn", cluster.arn)
