// Generated from meteringapi.v1.json by scripts/generate-marketplace-types.ts. Do not edit.
export interface paths {
    "/usageEvent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Posts a single usage event to the marketplace metering service API.
         * @description Posts a single usage event to the marketplace metering service API.
         */
        post: operations["MeteringOperations_PostUsageEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/batchUsageEvent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Posts a set of usage events to the marketplace metering service API.
         * @description The batch usage event API allows you to emit usage events for more than one purchased entity at once. The batch usage event request references the metering services dimension defined by the publisher when publishing the offer.
         */
        post: operations["MeteringOperations_PostBatchUsageEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/usageEvents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List of usage events.
         * @description You can call the usage events API to get the list of usage events.
         */
        get: operations["MeteringOperations_GetUsageEvent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description The request must send the following parameters as a URL Encoded form; grant_type - client_credentials; resource - 20e940b3-4c77-4b0b-9a53-9e16a1b010a7; client_id - AAD Registered App Client ID; client_secret - AAD Registered App Client Secret
         * @default 2018-08-31
         * @enum {string}
         */
        ApiVersion: "2018-08-31";
        UsageEvent: {
            /**
             * Format: uuid
             * @description subscriptionId property value for SaaS offer subscriptions; resourceUsageId property on the managed application resource for managed application offers. For managed applications, only use one of resourceId or resourceUri.
             */
            resourceId?: string;
            /** @description Resource URI for the managed app. Used with managed applications. Only use resourceUri or resourceId, but never both. */
            resourceUri?: string;
            /**
             * Format: double
             * @description Number of units consumed
             */
            quantity?: number;
            /** @description Dimension identifier */
            dimension?: string;
            /**
             * Format: date-time
             * @description Time in UTC when the usage event occurred
             */
            effectiveStartTime?: string;
            /** @description Plan associated with the purchased offer */
            planId?: string;
        };
        BatchUsageEvent: {
            request?: components["schemas"]["UsageEvent"][];
        };
        UsageEventOkResponse: {
            /**
             * Format: uuid
             * @description Unique identifier associated with the usage event
             */
            usageEventId?: string;
            status?: components["schemas"]["StatusEnum"];
            /**
             * Format: date-time
             * @description Time this message was created in UTC
             */
            messageTime?: string;
            /**
             * Format: uuid
             * @description Identifier of the resource against which usage is emitted
             */
            resourceId?: string;
            /** @description Identifier of the managed app resource against which usage is emitted */
            resourceUri?: string;
            /**
             * Format: double
             * @description Number of units consumed
             */
            quantity?: number;
            /** @description Dimension identifier */
            dimension?: string;
            /**
             * Format: date-time
             * @description Time in UTC when the usage event occurred
             */
            effectiveStartTime?: string;
            /** @description Plan associated with the purchased offer */
            planId?: string;
        };
        GetUsageEventOkResponse: components["schemas"]["GetUsageEvent"][];
        GetUsageEvent: {
            /**
             * Format: date-time
             * @description Time in UTC when the usage event occurred
             */
            usageDate?: string;
            /**
             * Format: uuid
             * @description Identifier of the resource against which usage is emitted
             */
            usageResourceId?: string;
            /** @description Dimension */
            dimension?: string;
            /** @description PlanId */
            planId?: string;
            /** @description PlanName */
            planName?: string;
            /** @description OfferId */
            offerId?: string;
            /** @description OfferName */
            offerName?: string;
            /** @description OfferType */
            offerType?: string;
            /**
             * Format: uuid
             * @description Azure Subscription Id
             */
            azureSubscriptionId?: string;
            /** @description Recon Status */
            reconStatus?: components["schemas"]["ReconStatus"];
            /**
             * Format: double
             * @description Submitted Quantity
             */
            submittedQuantity?: number;
            /**
             * Format: double
             * @description Processed Quantity
             */
            processedQuantity?: number;
            /**
             * Format: double
             * @description Submitted count
             */
            submittedCount?: number;
        };
        /**
         * @description Status of the operation.
         * @enum {string}
         */
        StatusEnum: "Accepted" | "Expired" | "Duplicate" | "Error" | "ResourceNotFound" | "ResourceNotAuthorized" | "ResourceNotActive" | "InvalidDimension" | "InvalidQuantity" | "BadArgument";
        /**
         * @description Reconcilliation status of the submitted meter.
         * @enum {string}
         */
        ReconStatus: "Submitted" | "Accepted" | "Rejected" | "Mismatch";
        BatchUsageEventOkResponse: {
            result?: components["schemas"]["UsageBatchEventOkMessage"][];
            count?: number;
        };
        UsageEventConflictResponse: {
            additionalInfo?: {
                acceptedMessage?: components["schemas"]["UsageEventOkResponse"];
            };
            message?: string;
            code?: string;
        };
        UsageBatchEventOkMessage: {
            /**
             * Format: uuid
             * @description Unique identifier associated with the usage event
             */
            usageEventId?: string;
            status?: components["schemas"]["StatusEnum"];
            /**
             * Format: date-time
             * @description Time this message was created in UTC
             */
            messageTime?: string;
            /**
             * Format: uuid
             * @description Identifier of the resource against which usage is emitted
             */
            resourceId?: string;
            /** @description Identifier of the managed app resource against which usage is emitted */
            resourceUri?: string;
            /**
             * Format: double
             * @description Number of units consumed
             */
            quantity?: number;
            /** @description Dimension identifier */
            dimension?: string;
            /**
             * Format: date-time
             * @description Time in UTC when the usage event occurred
             */
            effectiveStartTime?: string;
            /** @description Plan associated with the purchased offer */
            planId?: string;
            error?: components["schemas"]["UsageEventConflictResponse"];
        };
        UsageEventBadRequestResponse: {
            code?: string;
            message?: string;
            target?: string;
            details?: components["schemas"]["UsageEventBadRequestResponseDetail"][];
        };
        UsageEventBadRequestResponseDetail: {
            code?: string;
            message?: string;
            target?: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    MeteringOperations_PostUsageEvent: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UsageEvent"];
            };
        };
        responses: {
            /** @description OK. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UsageEventOkResponse"];
                };
            };
            /** @description Bad request, missing or invalid data provided or expired. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UsageEventBadRequestResponse"];
                };
            };
            /** @description User is unauthorized to make this call. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Conflict, when we receive the usage call for the usage resource ID, and effective usage, which already exists. The response will contain additionalInfo field that contains info about the accepted message. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UsageEventConflictResponse"];
                };
            };
        };
    };
    MeteringOperations_PostBatchUsageEvent: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BatchUsageEvent"];
            };
        };
        responses: {
            /** @description OK. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchUsageEventOkResponse"];
                };
            };
            /** @description Bad request. The batch contained more than 25 usage events. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description User is unauthorized to make this call. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    MeteringOperations_GetUsageEvent: {
        parameters: {
            query: {
                /** @description Version of the API. */
                "api-version": components["schemas"]["ApiVersion"];
                /** @description DateTime in ISO8601 format. For example, 2020-12-03T15:00 or 2020-12-03. */
                usageStartDate: string;
                /** @description DateTime in ISO8601 format. Default = current date. */
                UsageEndDate?: string;
                /** @description OfferId. */
                offerId?: string;
                /** @description PlanId. */
                planId?: string;
                /** @description DimensionId. */
                dimension?: string;
                /** @description Azure Subscription Id. */
                azureSubscriptionId?: string;
                /** @description Recon Status. */
                reconStatus?: components["schemas"]["ReconStatus"];
            };
            header?: {
                /** @description A unique string value for tracking the request from the client, preferably a GUID. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-requestid"?: string;
                /** @description A unique string value for operation on the client. This parameter correlates all events from client operation with events on the server side. If this value isn't provided, one will be generated and provided in the response headers. */
                "x-ms-correlationid"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GetUsageEventOkResponse"];
                };
            };
            /** @description Bad request, missing or invalid data provided or expired. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The authorization token isn't provided, is invalid or expired. Or the request is attempting to access a subscription for an offer that was published with a different Microsoft Entra App ID from the one used to create the authorization token. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
