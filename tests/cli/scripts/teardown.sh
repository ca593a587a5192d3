#!/usr/bin/env bash
# The reverse, written for Azure; the same one change on the queue line as provision.sh.
set -euo pipefail
RESOURCE_GROUP=${RESOURCE_GROUP:-rg-orders}
ACCOUNT=${ACCOUNT:-ordersstore01}

ACCOUNT_KEY=$(az storage account keys list --account-name "$ACCOUNT" \
  --resource-group "$RESOURCE_GROUP" --query "[0].value" -o tsv)
QUEUE_ENDPOINT=$(az storage account show --name "$ACCOUNT" --resource-group "$RESOURCE_GROUP" \
  --query primaryEndpoints.queue -o tsv)
az storage queue delete --name orders --account-name "$ACCOUNT" --account-key "$ACCOUNT_KEY" \
  --queue-endpoint "$QUEUE_ENDPOINT" --output none
az storage account delete --name "$ACCOUNT" --resource-group "$RESOURCE_GROUP" --yes
az group delete --name "$RESOURCE_GROUP" --yes --no-wait
echo "deleting $RESOURCE_GROUP"
