"""An HTTP API (API Gateway v2) in front of a Lambda function, wired by ARNs computed at deploy."""
import json

import pulumi
import pulumi_aws as aws

role = aws.iam.Role("handler-role", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicyAttachment("handler-logs", role=role,
                             policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")

handler = aws.lambda_.Function(
    "handler",
    runtime="python3.12",
    handler="index.handler",
    role=role.arn,
    code=pulumi.AssetArchive({".": pulumi.FileArchive("./handler")}),
)

api = aws.apigatewayv2.Api("http-api", protocol_type="HTTP")
integration = aws.apigatewayv2.Integration(
    "lambda-integration",
    api_id=api.id,
    integration_type="AWS_PROXY",
    integration_uri=handler.invoke_arn,
    payload_format_version="2.0",
)
route = aws.apigatewayv2.Route("default-route", api_id=api.id, route_key="GET /",
                               target=integration.id.apply(lambda id: f"integrations/{id}"))
stage = aws.apigatewayv2.Stage("default-stage", api_id=api.id, name="$default", auto_deploy=True,
                               opts=pulumi.ResourceOptions(depends_on=[route]))
aws.lambda_.Permission("api-invoke", action="lambda:InvokeFunction", function=handler.name,
                       principal="apigateway.amazonaws.com",
                       source_arn=api.execution_arn.apply(lambda arn: f"{arn}/*/*"))

pulumi.export("url", stage.invoke_url)
pulumi.export("endpoint", api.api_endpoint)
