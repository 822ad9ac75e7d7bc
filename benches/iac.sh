#!/usr/bin/env bash
# benches/iac.sh: how fast `warroom iac check` judges CloudFormation templates, against
# cfn-lint on the same files.
#
# Generates TEMPLATES seeded templates (12 resources each: DynamoDB tables, S3 buckets and
# bucket policies, SQS queues, SNS topics, IAM roles, security groups, EBS volumes, RDS
# instances; some compliant, some not) under BENCH_DIR, then times, RUNS times each:
#
#   warroom   warroom iac check BENCH_DIR --format json > /dev/null
#   cfn-lint  cfn-lint BENCH_DIR/*.yaml > /dev/null        (its own rule set)
#
# and prints templates per second for each (median run) and their ratio. The two run
# different rules — cfn-lint checks the template against the resource specification, warroom
# runs its security rules — so the figure is the speed of a pipeline's check, not of equal
# work.
#
#   benches/iac.sh                      # 1000 templates, 3 runs
#   TEMPLATES=200 RUNS=5 benches/iac.sh
#
# Needs: a release build of warroom (`cargo build --release`), python3, cfn-lint.
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPLATES=${TEMPLATES:-1000}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-target/bench-iac}
WARROOM=${WARROOM:-${CARGO_TARGET_DIR:-target}/release/warroom}
[ -x "$WARROOM" ] || { echo "build warroom first: cargo build --release" >&2; exit 1; }
command -v cfn-lint >/dev/null || { echo "cfn-lint is not installed" >&2; exit 1; }

rm -rf "$BENCH_DIR" && mkdir -p "$BENCH_DIR"
python3 - "$BENCH_DIR" "$TEMPLATES" <<'PY'
import random, sys
out, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
def table(i, ok):
    sse = "\n      SSESpecification:\n        SSEEnabled: true" if ok else ""
    return f"""  Table{i}:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      KeySchema:
        - AttributeName: id
          KeyType: HASH
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S{sse}
"""
def bucket(i, ok):
    enc = """
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true""" if ok else "\n      AccessControl: PublicRead"
    return f"""  Bucket{i}:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration:
        Status: Enabled{enc}
  Policy{i}:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket{i}
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Deny
            Principal: '*'
            Action: 's3:*'
            Resource: !Sub '${{Bucket{i}.Arn}}/*'
            Condition:
              Bool:
                aws:SecureTransport: {'false' if ok else 'true'}
"""
def queue(i, ok):
    k = "\n      KmsMasterKeyId: alias/aws/sqs" if ok else ""
    return f"""  Queue{i}:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60{k}
  Topic{i}:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '${{AWS::StackName}}-topic-{i}'{k.replace('sqs', 'sns')}
"""
def role(i, ok):
    action = "dynamodb:GetItem" if ok else "'*'"
    return f"""  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p{i}
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: {action}
                Resource: '*'
"""
def group(i, ok):
    cidr = "10.0.0.0/16" if ok else "0.0.0.0/0"
    return f"""  Group{i}:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: group {i}
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: {cidr}
  Volume{i}:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: us-east-1a
      Size: 20
      Encrypted: {'true' if ok else 'false'}
"""
def db(i, ok):
    return f"""  Db{i}:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t3.micro
      AllocatedStorage: '20'
      MasterUsername: '{{{{resolve:secretsmanager:db{i}:SecretString:username}}}}'
      MasterUserPassword: '{{{{resolve:secretsmanager:db{i}:SecretString:password}}}}'
      StorageEncrypted: {'true' if ok else 'false'}
"""
makers = [table, bucket, queue, role, group, db]
for t in range(n):
    parts = ["AWSTemplateFormatVersion: '2010-09-09'\nDescription: generated stack %d\nResources:\n" % t]
    for j, make in enumerate(makers):
        parts.append(make(j, rng.random() < 0.7))
    open(f"{out}/stack-{t:04}.yaml", "w").write("".join(parts))
PY

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_runs() {
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s.%N)
    echo "$e - $s" | bc -l
  done | median
}
w=$(time_runs "$WARROOM" iac check "$BENCH_DIR" --format json)
c=$(time_runs cfn-lint "$BENCH_DIR"/*.yaml)
printf 'templates: %d (12 resources each), median of %d runs\n' "$TEMPLATES" "$RUNS"
printf 'warroom iac check  %8.3f s  %10.0f templates/s\n' "$w" "$(echo "$TEMPLATES / $w" | bc -l)"
printf 'cfn-lint %s %8.3f s  %10.1f templates/s\n' "$(cfn-lint --version | awk '{print $2}')" "$c" "$(echo "$TEMPLATES / $c" | bc -l)"
printf 'cfn-lint / warroom: %.1f\n' "$(echo "$c / $w" | bc -l)"
